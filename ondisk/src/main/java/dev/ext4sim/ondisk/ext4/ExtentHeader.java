package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.Le;

/** {@code struct ext4_extent_header}, the 12 bytes that start every node of an extent tree. */
public record ExtentHeader(int entries, int max, int depth, int generation) {
    public static final int MAGIC = 0xF30A;
    public static final int SIZE = 12;
    /** EXT4_MAX_EXTENT_DEPTH. */
    public static final int MAX_DEPTH = 5;

    public static boolean hasMagic(byte[] b, int off) {
        return Le.u16(b, off) == MAGIC;
    }

    public static ExtentHeader decode(byte[] b, int off) {
        return new ExtentHeader(Le.u16(b, off + 2), Le.u16(b, off + 4), Le.u16(b, off + 6), (int) Le.u32(b, off + 8));
    }

    public void encode(byte[] b, int off) {
        Le.u16(b, off, MAGIC);
        Le.u16(b, off + 2, entries);
        Le.u16(b, off + 4, max);
        Le.u16(b, off + 6, depth);
        Le.u32(b, off + 8, generation & 0xFFFFFFFFL);
    }
}
