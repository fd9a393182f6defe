package dev.ext4sim.blockdev.ufs;

import dev.ext4sim.bus.Time;
import dev.ext4sim.ondisk.BlockDevice;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The device's volatile write cache over the backing image. A completed write lives here until a SYNCHRONIZE CACHE,
 * a FUA write of the block, or the destage writes it to the image; a power cut drops it. Reads see the newest data.
 * Every path that writes a block to the image writes the newest cached copy, under the block's lock, so an older
 * copy never overwrites a newer one.
 */
public final class WriteCache {
    private static final int STRIPES = 64;
    /** The map of dirty blocks is an array per 1024 blocks (4 MiB), made on the first write into it. */
    private static final int CHUNK_SHIFT = 10;
    private static final int CHUNK = 1 << CHUNK_SHIFT;

    /** A block's cached contents: {@code BLOCK} bytes of {@code buf} from {@code off}, cached at {@code at}. */
    record Entry(byte[] buf, int off, long at) {
    }

    private final BlockDevice backing;
    private final Time time;
    private final int blockSize;
    /**
     * Block → its newest cached copy, null when clean: indexed rather than hashed, since a 1 MiB write caches 256
     * blocks from the completion interrupt and a hash map's boxing, nodes and resizing cost more than the copy.
     */
    private final AtomicReferenceArray<AtomicReferenceArray<Entry>> chunks;
    /** Dirty blocks per chunk (a flush or destage skips clean chunks) and in all. */
    private final AtomicIntegerArray chunkDirty;
    private final AtomicLong dirty = new AtomicLong();
    private final Object[] locks = new Object[STRIPES];
    private final AtomicLong destaged = new AtomicLong();

    public WriteCache(BlockDevice backing, Time time) {
        this.backing = backing;
        this.time = time;
        this.blockSize = backing.blockSize();
        int n = Math.toIntExact((backing.blocks() + CHUNK - 1) >> CHUNK_SHIFT);
        this.chunks = new AtomicReferenceArray<>(n);
        this.chunkDirty = new AtomicIntegerArray(n);
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new Object();
        }
    }

    public int blockSize() {
        return blockSize;
    }

    public long blocks() {
        return backing.blocks();
    }

    /** A write completed into the cache: block {@code block} is {@code blockSize} bytes of {@code buf} at {@code off}. */
    public void write(long block, byte[] buf, int off) {
        write(block, buf, off, time.nanoTime());
    }

    /** The same, for a command that completed at {@code at}: its blocks share one timestamp. */
    public void write(long block, byte[] buf, int off, long at) {
        int c = (int) (block >>> CHUNK_SHIFT);
        AtomicReferenceArray<Entry> chunk = chunks.get(c);
        if (chunk == null) {
            chunks.compareAndSet(c, null, new AtomicReferenceArray<>(CHUNK));
            chunk = chunks.get(c);
        }
        if (chunk.getAndSet((int) block & (CHUNK - 1), new Entry(buf, off, at)) == null) {
            chunkDirty.incrementAndGet(c);
            dirty.incrementAndGet();
        }
    }

    private Entry get(long block) {
        AtomicReferenceArray<Entry> chunk = chunks.get((int) (block >>> CHUNK_SHIFT));
        return chunk == null ? null : chunk.get((int) block & (CHUNK - 1));
    }

    /** Forgets {@code e} as block {@code block}'s copy unless a newer write replaced it; true when it did. */
    private boolean clean(long block, Entry e) {
        int c = (int) (block >>> CHUNK_SHIFT);
        if (chunks.get(c).compareAndSet((int) block & (CHUNK - 1), e, null)) {
            chunkDirty.decrementAndGet(c);
            dirty.decrementAndGet();
            return true;
        }
        return false;
    }

    /** Copies block {@code block}, newest data first, into {@code dst} at {@code off}. */
    public void read(long block, byte[] dst, int off) {
        Entry e = get(block);
        if (e != null) {
            System.arraycopy(e.buf, e.off, dst, off, blockSize);
            return;
        }
        byte[] b = new byte[blockSize];
        synchronized (lock(block)) {
            e = get(block); // destaged meanwhile? then the image has it
            if (e != null) {
                System.arraycopy(e.buf, e.off, dst, off, blockSize);
                return;
            }
            backing.read(block, b);
        }
        System.arraycopy(b, 0, dst, off, blockSize);
    }

    /** Writes the newest cached copy of {@code block}, if any, to the image (FUA, flush and destage all come here). */
    public boolean writeBack(long block) {
        synchronized (lock(block)) {
            Entry e = get(block);
            if (e == null) {
                return false;
            }
            byte[] b = e.off == 0 && e.buf.length == blockSize ? e.buf : Arrays.copyOfRange(e.buf, e.off, e.off + blockSize);
            backing.write(block, b);
            clean(block, e);
            return true;
        }
    }

    /** SYNCHRONIZE CACHE: everything cached reaches the image, in block order. */
    public int flush() {
        int n = 0;
        for (int c = 0; c < chunks.length(); c++) {
            if (chunkDirty.get(c) == 0) {
                continue;
            }
            AtomicReferenceArray<Entry> chunk = chunks.get(c);
            for (int i = 0; i < CHUNK; i++) {
                if (chunk.get(i) != null && writeBack(((long) c << CHUNK_SHIFT) + i)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Background destage: writes back the blocks cached at least {@code age} nanoseconds ago, at most {@code max}. */
    public int destage(long ageNanos, int max) {
        long cutoff = time.nanoTime() - ageNanos;
        int n = 0;
        for (int c = 0; c < chunks.length() && n < max; c++) {
            if (chunkDirty.get(c) == 0) {
                continue;
            }
            AtomicReferenceArray<Entry> chunk = chunks.get(c);
            for (int i = 0; i < CHUNK && n < max; i++) {
                Entry e = chunk.get(i);
                if (e != null && e.at() <= cutoff && writeBack(((long) c << CHUNK_SHIFT) + i)) {
                    n++;
                }
            }
        }
        destaged.addAndGet(n);
        return n;
    }

    /** Power loss: the cache's contents are gone. */
    public int drop() {
        int n = 0;
        for (int c = 0; c < chunks.length(); c++) {
            AtomicReferenceArray<Entry> chunk = chunks.get(c);
            if (chunk == null) {
                continue;
            }
            for (int i = 0; i < CHUNK; i++) {
                Entry e = chunk.get(i);
                if (e != null && clean(((long) c << CHUNK_SHIFT) + i, e)) {
                    n++;
                }
            }
        }
        return n;
    }

    public boolean isDirty(long block) {
        return get(block) != null;
    }

    public long dirtyBlocks() {
        return dirty.get();
    }

    public long dirtyBytes() {
        return dirty.get() * blockSize;
    }

    public long destagedBlocks() {
        return destaged.get();
    }

    private Object lock(long block) {
        return locks[(int) Math.floorMod(block, (long) STRIPES)];
    }
}
