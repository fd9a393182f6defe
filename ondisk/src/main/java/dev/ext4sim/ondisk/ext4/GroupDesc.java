package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.Crc32c;
import dev.ext4sim.ondisk.Le;

/**
 * {@code struct ext4_group_desc}: a view over 32 or 64 bytes inside a group descriptor table block. The
 * {@code _hi} halves exist only in 64-byte descriptors (64bit), as in ext4_block_bitmap() and friends.
 */
public final class GroupDesc {
    public static final int BG_CHECKSUM = 0x1E;

    private final byte[] b;
    private final int off;
    private final int size;

    /** Wraps {@code size} (32 or 64) bytes of {@code table} at {@code off}; writes go to the table. */
    public GroupDesc(byte[] table, int off, int size) {
        if (size != 32 && size < 64) {
            throw new IllegalArgumentException("a group descriptor is 32 or at least 64 bytes, got " + size);
        }
        this.b = table;
        this.off = off;
        this.size = size;
    }

    public int size() {
        return size;
    }

    private boolean wide() {
        return size >= 64;
    }

    private long lohi32(int lo, int hi) {
        return Le.u32(b, off + lo) | (wide() ? Le.u32(b, off + hi) << 32 : 0);
    }

    private void lohi32(int lo, int hi, long v) {
        Le.u32(b, off + lo, v);
        if (wide()) {
            Le.u32(b, off + hi, v >>> 32);
        } else if (v >>> 32 != 0) {
            throw new IllegalArgumentException("value " + v + " needs 64-byte group descriptors (64bit)");
        }
    }

    private int lohi16(int lo, int hi) {
        return Le.u16(b, off + lo) | (wide() ? Le.u16(b, off + hi) << 16 : 0);
    }

    private void lohi16(int lo, int hi, int v) {
        Le.u16(b, off + lo, v);
        if (wide()) {
            Le.u16(b, off + hi, v >>> 16);
        }
    }

    public long bg_block_bitmap() { return lohi32(0x00, 0x20); }
    public void bg_block_bitmap(long v) { lohi32(0x00, 0x20, v); }

    public long bg_inode_bitmap() { return lohi32(0x04, 0x24); }
    public void bg_inode_bitmap(long v) { lohi32(0x04, 0x24, v); }

    public long bg_inode_table() { return lohi32(0x08, 0x28); }
    public void bg_inode_table(long v) { lohi32(0x08, 0x28, v); }

    public int bg_free_blocks_count() { return lohi16(0x0C, 0x2C); }
    public void bg_free_blocks_count(int v) { lohi16(0x0C, 0x2C, v); }

    public int bg_free_inodes_count() { return lohi16(0x0E, 0x2E); }
    public void bg_free_inodes_count(int v) { lohi16(0x0E, 0x2E, v); }

    public int bg_used_dirs_count() { return lohi16(0x10, 0x30); }
    public void bg_used_dirs_count(int v) { lohi16(0x10, 0x30, v); }

    public int bg_flags() { return Le.u16(b, off + 0x12); }
    public void bg_flags(int v) { Le.u16(b, off + 0x12, v); }

    public int bg_itable_unused() { return lohi16(0x1C, 0x32); }
    public void bg_itable_unused(int v) { lohi16(0x1C, 0x32, v); }

    /** Stored block bitmap checksum: 16 bits, or 32 with 64-byte descriptors. */
    public int bg_block_bitmap_csum() { return lohi16(0x18, 0x38); }
    public void bg_block_bitmap_csum(int v) { lohi16(0x18, 0x38, v); }

    public int bg_inode_bitmap_csum() { return lohi16(0x1A, 0x3A); }
    public void bg_inode_bitmap_csum(int v) { lohi16(0x1A, 0x3A, v); }

    public int bg_checksum() { return Le.u16(b, off + BG_CHECKSUM); }
    public void bg_checksum(int v) { Le.u16(b, off + BG_CHECKSUM, v); }

    /** Mask for comparing a full crc32c with what the descriptor can hold of a bitmap checksum. */
    public long bitmapCsumMask() {
        return wide() ? 0xFFFFFFFFL : 0xFFFFL;
    }

    /** ext4_group_desc_csum (metadata_csum branch): seed, LE32 group, the descriptor with bg_checksum as zero. */
    public int computeChecksum(int csumSeed, int group) {
        int crc = Crc32c.updateLe32(csumSeed, group);
        crc = Crc32c.update(crc, b, off, BG_CHECKSUM);
        crc = Crc32c.updateZeros(crc, 2);
        crc = Crc32c.update(crc, b, off + BG_CHECKSUM + 2, size - BG_CHECKSUM - 2);
        return crc & 0xFFFF;
    }

    public void updateChecksum(int csumSeed, int group) {
        bg_checksum(computeChecksum(csumSeed, group));
    }
}
