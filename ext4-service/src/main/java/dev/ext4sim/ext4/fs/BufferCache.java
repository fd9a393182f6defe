package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.BlockPort;
import dev.ext4sim.ext4.port.DataBio;
import dev.ext4sim.ondisk.BlockDevice;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The buffer heads of the filesystem's metadata (fs/buffer.c for the block device's page cache). The ondisk library
 * reads and writes its structures through this device: a read misses to the BlockPort once, a write changes only the
 * cached buffer and is handed to the running journal handle, which journals the new bytes; jbd2's checkpoint writes
 * them home. Only the superblock's mount and unmount state goes home directly ({@link #writeThrough}).
 */
final class BufferCache implements BlockDevice {
    /** Receives every metadata block written while a handle runs. */
    interface Dirtier {
        void dirtied(long block);
    }

    private final BlockPort port;
    private final long blocks;
    private final Map<Long, byte[]> buffers = new HashMap<>();
    private TraceContext ctx;
    private Dirtier handle;
    private boolean writeThrough;
    private boolean metaReads;

    BufferCache(BlockPort port, long blocks) {
        this.port = Objects.requireNonNull(port);
        this.blocks = blocks;
    }

    /** The task on whose behalf cache misses are read (set by each operation, under the filesystem lock). */
    void context(TraceContext ctx) {
        this.ctx = ctx;
    }

    TraceContext context() {
        return ctx;
    }

    /** The handle that journals what is written now; null outside a handle. */
    void handle(Dirtier handle) {
        this.handle = handle;
    }

    Dirtier handle() {
        return handle;
    }

    /** Misses are read as metadata (6.x: REQ_META, rwbs RM) rather than as 4.x's SYNC reads. */
    void metaReads(boolean on) {
        this.metaReads = on;
    }

    /** Writes go home at once (mount and unmount superblock state) instead of into a handle. */
    void writeThrough(boolean on) {
        this.writeThrough = on;
    }

    @Override
    public int blockSize() {
        return BlockPort.BLOCK_SIZE;
    }

    @Override
    public long blocks() {
        return blocks;
    }

    @Override
    public void read(long block, byte[] dst) {
        System.arraycopy(buffer(block), 0, dst, 0, BlockPort.BLOCK_SIZE);
    }

    /** The cached bytes of {@code block}, read on a miss (the live buffer: do not change it). */
    byte[] buffer(long block) {
        byte[] b = buffers.get(block);
        if (b == null) {
            b = metaReads ? port.readMeta(ctx, block, 1) : port.read(ctx, block, 1);
            buffers.put(block, b);
        }
        return b;
    }

    @Override
    public void write(long block, byte[] src) {
        if (src.length != BlockPort.BLOCK_SIZE) {
            throw new IllegalArgumentException("metadata buffer of " + src.length + " bytes");
        }
        if (writeThrough) {
            buffers.put(block, src.clone());
            port.submit(ctx, List.of(new DataBio(block, src, EnumSet.of(DataBio.BioFlag.SYNC, DataBio.BioFlag.META))));
            return;
        }
        if (handle == null) {
            throw new IllegalStateException("metadata block " + block + " changed outside a journal handle");
        }
        buffers.put(block, src.clone());
        handle.dirtied(block);
    }

    /** The device flush is the caller's decision (fsync, commit, unmount), never the library's. */
    @Override
    public void flush() {
    }

    /** bforget: a freed metadata block must not be served from the cache once it holds data. */
    void forget(long block) {
        buffers.remove(block);
    }
}
