package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.Crc32c;

/** Bit operations on block and inode bitmaps (LSB first, as ext4_set_bit) and their checksums. */
public final class Bitmaps {
    private Bitmaps() {
    }

    public static boolean test(byte[] map, int bit) {
        return (map[bit >>> 3] & (1 << (bit & 7))) != 0;
    }

    public static void set(byte[] map, int bit) {
        map[bit >>> 3] |= (byte) (1 << (bit & 7));
    }

    public static void clear(byte[] map, int bit) {
        map[bit >>> 3] &= (byte) ~(1 << (bit & 7));
    }

    public static void setRange(byte[] map, int from, int count) {
        for (int i = from; i < from + count; i++) {
            set(map, i);
        }
    }

    /** First clear bit in [from, limit), or -1 (ext4_find_next_zero_bit). */
    public static int findNextZero(byte[] map, int from, int limit) {
        int i = from;
        while (i < limit) {
            if ((i & 7) == 0 && limit - i >= 8 && map[i >>> 3] == (byte) 0xFF) {
                i += 8;
                continue;
            }
            if (!test(map, i)) {
                return i;
            }
            i++;
        }
        return -1;
    }

    public static int countZeros(byte[] map, int limit) {
        int n = 0;
        for (int i = 0; i < limit; i++) {
            if (!test(map, i)) {
                n++;
            }
        }
        return n;
    }

    /**
     * ext4_mark_bitmap_end: bits from {@code start} to the end of the block are set, so the tail of the last
     * group (and of an inode bitmap) never looks free.
     */
    public static void markEnd(byte[] map, int start) {
        int end = map.length * 8;
        int i = start;
        for (; i < end && (i & 7) != 0; i++) {
            set(map, i);
        }
        for (int k = i >>> 3; k < map.length; k++) {
            map[k] = (byte) 0xFF;
        }
    }

    /** ext4_block_bitmap_csum_set / ext4_inode_bitmap_csum_set: seed then the first {@code bytes} bytes. */
    public static int checksum(int csumSeed, byte[] map, int bytes) {
        return Crc32c.update(csumSeed, map, 0, bytes);
    }
}
