package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.BlockPort;
import dev.ext4sim.ext4.port.DataBio;
import dev.ext4sim.ondisk.BlockDevice;
import java.util.ArrayList;
import java.util.List;

/** A BlockPort straight onto a block device (an image file): every bio is recorded with the task that sent it. */
final class FakeBlockPort implements BlockPort {
    record Submitted(String comm, DataBio bio) {
    }

    private final BlockDevice dev;
    private final List<Submitted> submitted = new ArrayList<>();
    private final List<String> flushes = new ArrayList<>();
    private long blocksRead;

    /** A read, with the task that asked for it; meta for a metadata read (REQ_META). */
    record Read(String comm, long block, int count, boolean meta) {
    }

    private final List<Read> reads = new ArrayList<>();

    synchronized List<Read> reads() {
        return List.copyOf(reads);
    }

    FakeBlockPort(BlockDevice dev) {
        this.dev = dev;
    }

    @Override
    public synchronized byte[] read(TraceContext ctx, long block, int count) {
        return read(ctx, block, count, false);
    }

    @Override
    public synchronized byte[] readMeta(TraceContext ctx, long block, int count) {
        return read(ctx, block, count, true);
    }

    private byte[] read(TraceContext ctx, long block, int count, boolean meta) {
        if (block < 0 || count < 1 || block + count > dev.blocks()) {
            throw new ErrnoException(Errno.EIO, "attempt to access beyond end of device: block " + block + " count " + count);
        }
        byte[] out = new byte[count * BLOCK_SIZE];
        byte[] b = new byte[BLOCK_SIZE];
        for (int i = 0; i < count; i++) {
            dev.read(block + i, b);
            System.arraycopy(b, 0, out, i * BLOCK_SIZE, BLOCK_SIZE);
        }
        blocksRead += count;
        reads.add(new Read(ctx.task().comm(), block, count, meta));
        return out;
    }

    private boolean failWrites;

    /** From now on (until false again) every data bio fails with EIO, as a device that lost its media would. */
    synchronized void failWrites(boolean fail) {
        this.failWrites = fail;
    }

    @Override
    public synchronized void submit(TraceContext ctx, List<DataBio> bios) {
        if (failWrites) {
            throw new ErrnoException(Errno.EIO, "I/O error, dev sda, " + bios.size() + " write bios failed");
        }
        for (DataBio bio : bios) {
            if (bio.block() < 0 || bio.block() + bio.blocks() > dev.blocks()) {
                throw new ErrnoException(Errno.EIO, "attempt to access beyond end of device: " + bio);
            }
        }
        for (DataBio bio : bios) {
            submitted.add(new Submitted(ctx.task().comm(), bio));
            for (int i = 0; i < bio.blocks(); i++) {
                dev.write(bio.block() + i, java.util.Arrays.copyOfRange(bio.data(), i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
            }
        }
    }

    @Override
    public synchronized void flush(TraceContext ctx) {
        flushes.add(ctx.task().comm());
        dev.flush();
    }

    synchronized List<Submitted> submitted() {
        return List.copyOf(submitted);
    }

    synchronized List<String> flushes() {
        return List.copyOf(flushes);
    }

    synchronized long blocksRead() {
        return blocksRead;
    }
}
