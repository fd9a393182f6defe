package dev.ext4sim.ondisk;

/**
 * The raw Castagnoli CRC (reflected polynomial 0x82F63B78) started from a given register value and returned
 * without the final inversion: the kernel's {@code crc32c()} and e2fsprogs' {@code ext2fs_crc32c_le()}.
 *
 * <p>{@link java.util.zip.CRC32C} cannot be seeded, and ext4 and JBD2 chain checksums from seeds (the
 * filesystem seed, the journal seed, a group or inode number), so this is table driven (slicing by 8).
 * Chaining holds: {@code update(update(s, A), B) == update(s, A‖B)}.
 */
public final class Crc32c {
    /** The seed that the superblock checksums and the filesystem seed start from. */
    public static final int SEED = ~0;

    private static final int POLY = 0x82F63B78;
    private static final int[][] TABLE = new int[8][256];

    static {
        for (int n = 0; n < 256; n++) {
            int c = n;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
            }
            TABLE[0][n] = c;
        }
        for (int n = 0; n < 256; n++) {
            for (int t = 1; t < 8; t++) {
                int prev = TABLE[t - 1][n];
                TABLE[t][n] = (prev >>> 8) ^ TABLE[0][prev & 0xFF];
            }
        }
    }

    private Crc32c() {
    }

    public static int update(int crc, byte[] b) {
        return update(crc, b, 0, b.length);
    }

    public static int update(int crc, byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        int[] t0 = TABLE[0], t1 = TABLE[1], t2 = TABLE[2], t3 = TABLE[3];
        int[] t4 = TABLE[4], t5 = TABLE[5], t6 = TABLE[6], t7 = TABLE[7];
        while (end - i >= 8) {
            int lo = crc ^ ((b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (b[i + 3] & 0xFF) << 24);
            crc = t7[lo & 0xFF] ^ t6[(lo >>> 8) & 0xFF] ^ t5[(lo >>> 16) & 0xFF] ^ t4[lo >>> 24]
                    ^ t3[b[i + 4] & 0xFF] ^ t2[b[i + 5] & 0xFF] ^ t1[b[i + 6] & 0xFF] ^ t0[b[i + 7] & 0xFF];
            i += 8;
        }
        while (i < end) {
            crc = (crc >>> 8) ^ t0[(crc ^ b[i++]) & 0xFF];
        }
        return crc;
    }

    /** Continues over the four bytes of {@code v}, little-endian (ext4 feeds group and inode numbers so). */
    public static int updateLe32(int crc, int v) {
        for (int k = 0; k < 4; k++) {
            crc = (crc >>> 8) ^ TABLE[0][(crc ^ (v >>> (8 * k))) & 0xFF];
        }
        return crc;
    }

    /** Continues over the four bytes of {@code v}, big-endian (JBD2 feeds the tid so). */
    public static int updateBe32(int crc, int v) {
        return updateLe32(crc, Integer.reverseBytes(v));
    }

    /** Continues over {@code len} zero bytes, for checksum fields that are hashed as zero. */
    public static int updateZeros(int crc, int len) {
        for (int k = 0; k < len; k++) {
            crc = (crc >>> 8) ^ TABLE[0][crc & 0xFF];
        }
        return crc;
    }
}
