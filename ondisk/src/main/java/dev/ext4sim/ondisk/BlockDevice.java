package dev.ext4sim.ondisk;

/**
 * Whole blocks in and out, addressed by filesystem block number. The image file is one; blockdev-service's
 * emulated device and the test doubles are others. The on-disk code reads and writes through this only.
 */
public interface BlockDevice {
    int blockSize();

    /** Number of blocks the device holds. */
    long blocks();

    /** Reads block {@code block} into {@code dst} (one block long). */
    void read(long block, byte[] dst);

    /** Writes {@code src} (one block long) to block {@code block}. */
    void write(long block, byte[] src);

    /** Makes everything written so far durable (a cache flush). */
    void flush();

    default byte[] read(long block) {
        byte[] b = new byte[blockSize()];
        read(block, b);
        return b;
    }
}
