package dev.ext4sim.jbd2.io;

import dev.ext4sim.ondisk.BlockDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The device a journal load works through, noting the blocks it reads until {@link #stop}: what the load's recovery
 * pass read of the log is what it mapped through the journal inode, the state its extent status cache starts from.
 * Writes and flushes pass straight through; the mounted journal keeps writing through this device afterwards.
 */
public final class LoadReads implements BlockDevice {
    private final BlockDevice dev;
    private List<Long> reads = new ArrayList<>();

    public LoadReads(BlockDevice dev) {
        this.dev = Objects.requireNonNull(dev);
    }

    /** The blocks read so far, in order; later reads are not noted. */
    public synchronized List<Long> stop() {
        List<Long> r = reads == null ? List.of() : List.copyOf(reads);
        reads = null;
        return r;
    }

    @Override
    public int blockSize() {
        return dev.blockSize();
    }

    @Override
    public long blocks() {
        return dev.blocks();
    }

    @Override
    public void read(long block, byte[] dst) {
        synchronized (this) {
            if (reads != null) {
                reads.add(block);
            }
        }
        dev.read(block, dst);
    }

    @Override
    public void write(long block, byte[] src) {
        dev.write(block, src);
    }

    @Override
    public void flush() {
        dev.flush();
    }
}
