package dev.ext4sim.jbd2.testing;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.jbd2.io.BlockIoPort;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * blk_submit against a device in memory, recording every call. {@link #crashAfter(int)} makes the device take only
 * the next n bios and then fail, as a process killed in the middle of a submission leaves the disk.
 */
public final class MemoryBlockIoPort implements BlockIoPort {
    private final MemoryBlockDevice disk;
    private final List<BlockIo.Submit> submits = new ArrayList<>();
    private int bioBudget = -1;
    private java.util.function.Consumer<BlockIo.Submit> listener = s -> {
    };

    public MemoryBlockIoPort(MemoryBlockDevice disk) {
        this.disk = disk;
    }

    public synchronized List<BlockIo.Submit> submits() {
        return List.copyOf(submits);
    }

    public synchronized void clear() {
        submits.clear();
    }

    /** Every copy of filesystem block {@code block} the submissions recorded so far carried to the device, in order. */
    public synchronized List<byte[]> writes(long block) {
        int bs = disk.blockSize();
        List<byte[]> out = new ArrayList<>();
        for (BlockIo.Submit s : submits) {
            int off = 0;
            for (BlockIo.Bio bio : s.bios()) {
                if (!bio.op().equals(BlockIo.WRITE)) {
                    continue;
                }
                for (int i = 0; i < bio.bytes() / bs; i++) {
                    if (bio.sector() / (bs / 512) + i == block) {
                        out.add(Arrays.copyOfRange(s.data(), off + i * bs, off + (i + 1) * bs));
                    }
                }
                off += bio.bytes();
            }
        }
        return out;
    }

    /** Told of each submission as it arrives, before the device takes it. */
    public synchronized void onSubmit(java.util.function.Consumer<BlockIo.Submit> listener) {
        this.listener = java.util.Objects.requireNonNull(listener);
    }

    /** Takes only {@code bios} more bios, then every call fails with EIO. */
    public synchronized void crashAfter(int bios) {
        bioBudget = bios;
    }

    @Override
    public synchronized BlockIo.Completion submit(BlockIo.Submit s) {
        submits.add(s);
        listener.accept(s);
        int bs = disk.blockSize();
        int off = 0;
        ByteArrayOutputStream reads = new ByteArrayOutputStream();
        List<Long> lat = new ArrayList<>();
        for (BlockIo.Bio bio : s.bios()) {
            if (bioBudget == 0) {
                throw new ErrnoException(Errno.EIO, "test device lost power");
            }
            if (bioBudget > 0) {
                bioBudget--;
            }
            long block = bio.sector() / (bs / 512);
            if (bio.op().equals(BlockIo.READ)) {
                for (int i = 0; i < bio.bytes() / bs; i++) {
                    reads.writeBytes(disk.read(block + i));
                }
            } else {
                for (int i = 0; i < bio.bytes() / bs; i++) {
                    disk.write(block + i, Arrays.copyOfRange(s.data(), off, off + bs));
                    off += bs;
                }
            }
            lat.add(1L);
        }
        return new BlockIo.Completion(lat, reads.toByteArray());
    }
}
