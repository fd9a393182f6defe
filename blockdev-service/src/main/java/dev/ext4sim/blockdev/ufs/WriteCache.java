package dev.ext4sim.blockdev.ufs;

import dev.ext4sim.bus.Time;
import dev.ext4sim.ondisk.BlockDevice;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The device's volatile write cache over the backing image. A completed write lives here until a SYNCHRONIZE CACHE,
 * a FUA write of the block, or the destage writes it to the image; a power cut drops it. Reads see the newest data.
 * Every path that writes a block to the image writes the newest cached copy, under the block's lock, so an older
 * copy never overwrites a newer one.
 */
public final class WriteCache {
    private static final int STRIPES = 64;

    /** A block's cached contents: {@code BLOCK} bytes of {@code buf} from {@code off}, cached at {@code at}. */
    record Entry(byte[] buf, int off, long at) {
    }

    private final BlockDevice backing;
    private final Time time;
    private final int blockSize;
    private final Map<Long, Entry> dirty = new ConcurrentHashMap<>();
    private final Object[] locks = new Object[STRIPES];
    private final AtomicLong destaged = new AtomicLong();

    public WriteCache(BlockDevice backing, Time time) {
        this.backing = backing;
        this.time = time;
        this.blockSize = backing.blockSize();
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
        dirty.put(block, new Entry(buf, off, time.nanoTime()));
    }

    /** Copies block {@code block}, newest data first, into {@code dst} at {@code off}. */
    public void read(long block, byte[] dst, int off) {
        Entry e = dirty.get(block);
        if (e != null) {
            System.arraycopy(e.buf, e.off, dst, off, blockSize);
            return;
        }
        byte[] b = new byte[blockSize];
        synchronized (lock(block)) {
            e = dirty.get(block); // destaged meanwhile? then the image has it
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
            Entry e = dirty.get(block);
            if (e == null) {
                return false;
            }
            byte[] b = e.off == 0 && e.buf.length == blockSize ? e.buf : Arrays.copyOfRange(e.buf, e.off, e.off + blockSize);
            backing.write(block, b);
            dirty.remove(block, e);
            return true;
        }
    }

    /** SYNCHRONIZE CACHE: everything cached reaches the image. */
    public int flush() {
        int n = 0;
        for (Long block : dirty.keySet().stream().sorted().toList()) {
            if (writeBack(block)) {
                n++;
            }
        }
        return n;
    }

    /** Background destage: writes back the blocks cached at least {@code age} nanoseconds ago, at most {@code max}. */
    public int destage(long ageNanos, int max) {
        long cutoff = time.nanoTime() - ageNanos;
        int n = 0;
        for (Map.Entry<Long, Entry> e : dirty.entrySet()) {
            if (n >= max) {
                break;
            }
            if (e.getValue().at() <= cutoff && writeBack(e.getKey())) {
                n++;
            }
        }
        destaged.addAndGet(n);
        return n;
    }

    /** Power loss: the cache's contents are gone. */
    public int drop() {
        int n = dirty.size();
        dirty.clear();
        return n;
    }

    public boolean isDirty(long block) {
        return dirty.containsKey(block);
    }

    public long dirtyBlocks() {
        return dirty.size();
    }

    public long dirtyBytes() {
        return (long) dirty.size() * blockSize;
    }

    public long destagedBlocks() {
        return destaged.get();
    }

    private Object lock(long block) {
        return locks[(int) Math.floorMod(block, (long) STRIPES)];
    }
}
