package dev.ext4sim.jbd2.io;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.block.BlockIo.Bio;
import dev.ext4sim.ondisk.BlockDevice;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The filesystem's partition ({@code sda1}) as whole 4 KiB blocks, through blockdev-service's {@code blk_submit}.
 *
 * <p>Outside a {@link #batch} every call is one synchronous bio: a read, a {@code WRITE_SYNC|META} write, or
 * {@code blkdev_issue_flush} ({@link Bio#flush()}). Inside a batch the writes are gathered and sent under one plug,
 * and the cache flushes the on-disk code asks for between them become the kernel's barrier flags instead of bare
 * flushes: a flush followed by a write becomes {@code REQ_PREFLUSH} on that write, and a flush right after a
 * PREFLUSH write that was the only write since the previous flush makes it {@code REQ_PREFLUSH|REQ_FUA}. So the
 * {@code JournalWriter}'s "log blocks, flush, commit block, flush" goes out as the log blocks followed by the commit
 * block with PREFLUSH|FUA, as {@code journal_submit_commit_record} sends it, with the same durability: the
 * PREFLUSH makes everything before the commit block durable first (blockdev orders a PREFLUSH bio after the bios
 * before it in the same call), and FUA makes the commit block itself durable before the call returns. A flush
 * the batch ends with that no write absorbed goes out as a bare flush.
 *
 * <p>Reads inside a batch read ahead: a miss fetches {@value #READAHEAD_BLOCKS} blocks in one bio and later reads
 * of them are answered from memory until the batch ends (the batch's own writes still take precedence). Recovery
 * walks the log three times block by block; without this each block would be a round trip to blockdev.
 *
 * <p>Not thread-safe: the journal serializes its I/O.
 */
public final class BusBlockDevice implements BlockDevice {
    /** Blocks per blk_submit call: 4 MiB of data, well under the bus's 8 MiB per record. */
    static final int MAX_BLOCKS_PER_CALL = 1024;

    private final BlockIoPort port;
    private final String dev;
    private final int blockSize;
    private final long blocks;
    private final int sectorsPerBlock;

    /** Blocks fetched by one read inside a batch: 128 KiB. */
    static final int READAHEAD_BLOCKS = 32;

    private int depth;
    private final List<PendingWrite> pending = new ArrayList<>();
    private final java.util.Map<Long, byte[]> readahead = new java.util.HashMap<>();
    private boolean preflushPending;
    private int writesSinceFlush;

    private record PendingWrite(long block, byte[] data, Set<String> flags) {
    }

    public BusBlockDevice(BlockIoPort port, String dev, int blockSize, long blocks) {
        this.port = Objects.requireNonNull(port);
        this.dev = Objects.requireNonNull(dev);
        if (blockSize < 512 || blockSize % 512 != 0) {
            throw new IllegalArgumentException("block size " + blockSize + " is not a multiple of 512");
        }
        this.blockSize = blockSize;
        this.blocks = blocks;
        this.sectorsPerBlock = blockSize / 512;
    }

    /**
     * Opens {@code dev} as the ext4 filesystem on it describes itself: block size and block count from the primary
     * superblock (byte 1024 of block 0), read through blockdev.
     */
    public static BusBlockDevice open(BlockIoPort port, String dev) {
        BlockIo.Completion c = port.submit(new BlockIo.Submit(dev, List.of(Bio.read(0, 4096, BlockIo.SYNC, BlockIo.META)), null));
        byte[] b = c.data();
        if (b.length < 2048) {
            throw new ErrnoException(Errno.EIO, "blockdev answered " + b.length + " bytes for block 0 of " + dev);
        }
        int magic = (b[1024 + 0x38] & 0xFF) | (b[1024 + 0x39] & 0xFF) << 8;
        if (magic != 0xEF53) {
            throw new ErrnoException(Errno.EINVAL, dev + " holds no ext4 filesystem (superblock magic 0x"
                    + Integer.toHexString(magic) + ", not 0xef53); format it: ./ext4sim mkfs");
        }
        int logBlockSize = le32(b, 1024 + 0x18);
        int blockSize = 1024 << logBlockSize;
        long count = le32(b, 1024 + 0x04) & 0xFFFFFFFFL;
        int incompat = le32(b, 1024 + 0x60);
        if ((incompat & 0x80) != 0) { // INCOMPAT_64BIT
            count |= (le32(b, 1024 + 0x150) & 0xFFFFFFFFL) << 32;
        }
        return new BusBlockDevice(port, dev, blockSize, count);
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | (b[off + 3] & 0xFF) << 24;
    }

    public String dev() {
        return dev;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long blocks() {
        return blocks;
    }

    @Override
    public void read(long block, byte[] dst) {
        check(block, dst);
        for (int i = pending.size() - 1; i >= 0; i--) {
            if (pending.get(i).block() == block) {
                System.arraycopy(pending.get(i).data(), 0, dst, 0, blockSize);
                return;
            }
        }
        if (depth > 0) {
            readAhead(block, dst);
            return;
        }
        BlockIo.Completion c = port.submit(new BlockIo.Submit(dev,
                List.of(Bio.read(sector(block), blockSize, BlockIo.SYNC, BlockIo.META)), null));
        if (c.data().length != blockSize) {
            throw new ErrnoException(Errno.EIO, "blockdev answered " + c.data().length + " bytes for block " + block
                    + " of " + dev + ", expected " + blockSize);
        }
        System.arraycopy(c.data(), 0, dst, 0, blockSize);
    }

    private void readAhead(long block, byte[] dst) {
        byte[] cached = readahead.get(block);
        if (cached == null) {
            int n = (int) Math.min(READAHEAD_BLOCKS, blocks - block);
            BlockIo.Completion c = port.submit(new BlockIo.Submit(dev,
                    List.of(Bio.read(sector(block), n * blockSize, BlockIo.SYNC, BlockIo.META)), null));
            if (c.data().length != n * blockSize) {
                throw new ErrnoException(Errno.EIO, "blockdev answered " + c.data().length + " bytes for blocks " + block
                        + "+" + n + " of " + dev + ", expected " + n * blockSize);
            }
            for (int i = 0; i < n; i++) {
                readahead.putIfAbsent(block + i, java.util.Arrays.copyOfRange(c.data(), i * blockSize, (i + 1) * blockSize));
            }
            cached = readahead.get(block);
        }
        System.arraycopy(cached, 0, dst, 0, blockSize);
    }

    @Override
    public void write(long block, byte[] src) {
        check(block, src);
        Set<String> flags = new LinkedHashSet<>(List.of(BlockIo.SYNC, BlockIo.META));
        if (depth == 0) {
            port.submit(new BlockIo.Submit(dev, List.of(Bio.write(sector(block), blockSize, flags.toArray(String[]::new))), src.clone()));
            return;
        }
        if (preflushPending) {
            flags.add(BlockIo.PREFLUSH);
            preflushPending = false;
        }
        pending.add(new PendingWrite(block, src.clone(), flags));
        writesSinceFlush++;
    }

    @Override
    public void flush() {
        if (depth == 0) {
            port.submit(new BlockIo.Submit(dev, List.of(Bio.flush()), null));
            return;
        }
        if (writesSinceFlush == 1 && !pending.isEmpty() && pending.getLast().flags().contains(BlockIo.PREFLUSH)) {
            pending.getLast().flags().add(BlockIo.FUA);
        } else if (writesSinceFlush > 0 || pending.isEmpty()) {
            preflushPending = true;
        }
        writesSinceFlush = 0;
    }

    /** Runs {@code io} with its writes gathered and sent when it returns (batches nest; the outermost sends). */
    public <T> T batch(Supplier<T> io) {
        depth++;
        boolean ok = false;
        try {
            T result = io.get();
            ok = true;
            return result;
        } finally {
            if (--depth == 0) {
                try {
                    if (ok) {
                        send();
                    }
                } finally {
                    pending.clear();
                    readahead.clear();
                    preflushPending = false;
                    writesSinceFlush = 0;
                }
            }
        }
    }

    /**
     * Sends what the current batch holds so far, as an unplug in the middle of it would: for a crash point, to leave on
     * the device the writes that came before it.
     */
    public void sendPending() {
        if (depth > 0 && !pending.isEmpty()) {
            send();
            pending.clear();
            preflushPending = false;
            writesSinceFlush = 0;
        }
    }

    public void batch(Runnable io) {
        batch(() -> {
            io.run();
            return null;
        });
    }

    private void send() {
        List<Bio> bios = new ArrayList<>();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (PendingWrite w : pending) {
            bios.add(Bio.write(sector(w.block()), blockSize, w.flags().toArray(String[]::new)));
            data.writeBytes(w.data());
            if (bios.size() == MAX_BLOCKS_PER_CALL) {
                port.submit(new BlockIo.Submit(dev, bios, data.toByteArray()));
                bios = new ArrayList<>();
                data.reset();
            }
        }
        if (preflushPending) {
            bios.add(Bio.flush());
        }
        if (!bios.isEmpty()) {
            port.submit(new BlockIo.Submit(dev, bios, data.toByteArray()));
        }
    }

    private long sector(long block) {
        return block * sectorsPerBlock;
    }

    private void check(long block, byte[] buf) {
        if (block < 0 || block >= blocks) {
            throw new ErrnoException(Errno.EIO, "block " + block + " is outside " + dev + ", which holds " + blocks + " blocks");
        }
        if (buf.length != blockSize) {
            throw new IllegalArgumentException("buffer of " + buf.length + " bytes for a " + blockSize + "-byte block");
        }
    }
}
