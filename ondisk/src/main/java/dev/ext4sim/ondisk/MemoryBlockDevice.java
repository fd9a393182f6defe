package dev.ext4sim.ondisk;

import java.util.Arrays;

/** A block device in memory, for tests and for staging a copy of an image. */
public final class MemoryBlockDevice implements BlockDevice {
    private final int blockSize;
    private final byte[][] blocks;

    public MemoryBlockDevice(int blockSize, int blocks) {
        this.blockSize = blockSize;
        this.blocks = new byte[blocks][];
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long blocks() {
        return blocks.length;
    }

    @Override
    public void read(long block, byte[] dst) {
        byte[] b = blocks[index(block)];
        if (b == null) {
            Arrays.fill(dst, (byte) 0);
        } else {
            System.arraycopy(b, 0, dst, 0, blockSize);
        }
    }

    @Override
    public void write(long block, byte[] src) {
        blocks[index(block)] = src.clone();
    }

    @Override
    public void flush() {
    }

    private int index(long block) {
        if (block < 0 || block >= blocks.length) {
            throw new OnDiskException("memory device", block, "outside the device, which holds " + blocks.length + " blocks");
        }
        return (int) block;
    }
}
