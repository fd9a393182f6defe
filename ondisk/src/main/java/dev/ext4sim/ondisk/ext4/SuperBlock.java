package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.BlockDevice;
import dev.ext4sim.ondisk.Crc32c;
import dev.ext4sim.ondisk.Le;
import dev.ext4sim.ondisk.OnDiskException;
import java.util.Arrays;

/**
 * {@code struct ext4_super_block}: a view over its 1024 raw bytes. Accessors are named after the kernel
 * fields; the {@code _lo}/{@code _hi} pairs are combined where the kernel's helpers combine them
 * ({@code ext4_blocks_count} and friends). Fields not given an accessor stay untouched in the bytes, so a
 * decode/encode round trip is exact.
 */
public final class SuperBlock {
    public static final int SIZE = Ext4.SUPERBLOCK_SIZE;
    static final int S_CHECKSUM = 0x3FC;

    private final byte[] b;

    /** Wraps (does not copy) 1024 bytes. */
    public SuperBlock(byte[] raw) {
        if (raw.length != SIZE) {
            throw new IllegalArgumentException("a superblock is " + SIZE + " bytes, got " + raw.length);
        }
        this.b = raw;
    }

    public static SuperBlock empty() {
        return new SuperBlock(new byte[SIZE]);
    }

    /**
     * Reads the primary superblock (byte 1024) and checks the magic and, with metadata_csum, the checksum,
     * as ext4_fill_super does.
     */
    public static SuperBlock read(BlockDevice dev) {
        if (dev.blocks() < 1) {
            throw new OnDiskException("superblock", 0, "the device is empty; the image is truncated");
        }
        byte[] blk = dev.read(0);
        int off = Ext4.SUPERBLOCK_OFFSET % dev.blockSize();
        long block = Ext4.SUPERBLOCK_OFFSET / dev.blockSize();
        if (block != 0) {
            blk = dev.read(block);
        }
        SuperBlock sb = new SuperBlock(Arrays.copyOfRange(blk, off, off + SIZE));
        sb.verify(block);
        return sb;
    }

    /** Checks magic, block size and checksum; {@code block} is where this copy was read, for the message. */
    public void verify(long block) {
        if (s_magic() != Ext4.SUPER_MAGIC) {
            throw new OnDiskException("superblock", block, String.format(
                    "bad magic 0x%04X (expected 0xEF53): not an ext4 filesystem, or the superblock is damaged; try e2fsck -b 32768",
                    s_magic()));
        }
        if (s_log_block_size() > 6) {
            throw new OnDiskException("superblock", block, "impossible s_log_block_size " + s_log_block_size());
        }
        if (hasMetadataCsum()) {
            if (s_checksum_type() != Ext4.CRC32C_CHKSUM) {
                throw new OnDiskException("superblock", block, "unknown s_checksum_type " + s_checksum_type());
            }
            int want = computeChecksum();
            if (want != s_checksum()) {
                throw new OnDiskException("superblock", block, String.format(
                        "checksum mismatch: stored 0x%08X, computed 0x%08X; run e2fsck", s_checksum(), want));
            }
        }
    }

    /** The raw bytes, live. */
    public byte[] raw() {
        return b;
    }

    public SuperBlock copy() {
        return new SuperBlock(b.clone());
    }

    // ext4_superblock_csum
    public int computeChecksum() {
        return Crc32c.update(Crc32c.SEED, b, 0, S_CHECKSUM);
    }

    /** ext4_superblock_csum_set: call after every change when metadata_csum is on. */
    public void updateChecksum() {
        if (hasMetadataCsum()) {
            s_checksum(computeChecksum());
        }
    }

    /** The seed every other metadata checksum starts from (s_csum_seed in ext4_sb_info). */
    public int csumSeed() {
        if ((s_feature_incompat() & Ext4.INCOMPAT_CSUM_SEED) != 0) {
            return s_checksum_seed();
        }
        return Crc32c.update(Crc32c.SEED, b, 0x68, 16);
    }

    // --- derived geometry ---

    public int blockSize() {
        return 1024 << s_log_block_size();
    }

    public boolean is64bit() {
        return (s_feature_incompat() & Ext4.INCOMPAT_64BIT) != 0;
    }

    public boolean hasMetadataCsum() {
        return (s_feature_ro_compat() & Ext4.RO_COMPAT_METADATA_CSUM) != 0;
    }

    public boolean hasFlexBg() {
        return (s_feature_incompat() & Ext4.INCOMPAT_FLEX_BG) != 0;
    }

    public boolean needsRecovery() {
        return (s_feature_incompat() & Ext4.INCOMPAT_RECOVER) != 0;
    }

    /** EXT4_DESC_SIZE: 32 unless 64bit. */
    public int descSize() {
        return is64bit() ? Math.max(32, s_desc_size()) : 32;
    }

    /** ext4_get_groups_count. */
    public int groupCount() {
        long data = s_blocks_count() - s_first_data_block();
        return (int) ((data + s_blocks_per_group() - 1) / s_blocks_per_group());
    }

    // --- fields ---

    public long s_inodes_count() { return Le.u32(b, 0x00); }
    public void s_inodes_count(long v) { Le.u32(b, 0x00, v); }

    public long s_blocks_count() { return Le.u32(b, 0x04) | (is64bit() ? Le.u32(b, 0x150) << 32 : 0); }
    public void s_blocks_count(long v) { Le.u32(b, 0x04, v); if (is64bit()) Le.u32(b, 0x150, v >>> 32); }

    public long s_r_blocks_count() { return Le.u32(b, 0x08) | (is64bit() ? Le.u32(b, 0x154) << 32 : 0); }
    public void s_r_blocks_count(long v) { Le.u32(b, 0x08, v); if (is64bit()) Le.u32(b, 0x154, v >>> 32); }

    public long s_free_blocks_count() { return Le.u32(b, 0x0C) | (is64bit() ? Le.u32(b, 0x158) << 32 : 0); }
    public void s_free_blocks_count(long v) { Le.u32(b, 0x0C, v); if (is64bit()) Le.u32(b, 0x158, v >>> 32); }

    public long s_free_inodes_count() { return Le.u32(b, 0x10); }
    public void s_free_inodes_count(long v) { Le.u32(b, 0x10, v); }

    public long s_first_data_block() { return Le.u32(b, 0x14); }
    public void s_first_data_block(long v) { Le.u32(b, 0x14, v); }

    public int s_log_block_size() { return (int) Le.u32(b, 0x18); }
    public void s_log_block_size(int v) { Le.u32(b, 0x18, v); }

    public int s_log_cluster_size() { return (int) Le.u32(b, 0x1C); }
    public void s_log_cluster_size(int v) { Le.u32(b, 0x1C, v); }

    public int s_blocks_per_group() { return (int) Le.u32(b, 0x20); }
    public void s_blocks_per_group(int v) { Le.u32(b, 0x20, v); }

    public int s_clusters_per_group() { return (int) Le.u32(b, 0x24); }
    public void s_clusters_per_group(int v) { Le.u32(b, 0x24, v); }

    public int s_inodes_per_group() { return (int) Le.u32(b, 0x28); }
    public void s_inodes_per_group(int v) { Le.u32(b, 0x28, v); }

    public long s_mtime() { return Le.u32(b, 0x2C); }
    public void s_mtime(long v) { Le.u32(b, 0x2C, v); }

    public long s_wtime() { return Le.u32(b, 0x30); }
    public void s_wtime(long v) { Le.u32(b, 0x30, v); }

    public int s_mnt_count() { return Le.u16(b, 0x34); }
    public void s_mnt_count(int v) { Le.u16(b, 0x34, v); }

    public int s_max_mnt_count() { return Le.u16(b, 0x36); }
    public void s_max_mnt_count(int v) { Le.u16(b, 0x36, v); }

    public int s_magic() { return Le.u16(b, 0x38); }
    public void s_magic(int v) { Le.u16(b, 0x38, v); }

    public int s_state() { return Le.u16(b, 0x3A); }
    public void s_state(int v) { Le.u16(b, 0x3A, v); }

    public int s_errors() { return Le.u16(b, 0x3C); }
    public void s_errors(int v) { Le.u16(b, 0x3C, v); }

    public long s_lastcheck() { return Le.u32(b, 0x40); }
    public void s_lastcheck(long v) { Le.u32(b, 0x40, v); }

    public long s_checkinterval() { return Le.u32(b, 0x44); }
    public void s_checkinterval(long v) { Le.u32(b, 0x44, v); }

    public int s_creator_os() { return (int) Le.u32(b, 0x48); }
    public void s_creator_os(int v) { Le.u32(b, 0x48, v); }

    public int s_rev_level() { return (int) Le.u32(b, 0x4C); }
    public void s_rev_level(int v) { Le.u32(b, 0x4C, v); }

    public int s_first_ino() { return (int) Le.u32(b, 0x54); }
    public void s_first_ino(int v) { Le.u32(b, 0x54, v); }

    public int s_inode_size() { return Le.u16(b, 0x58); }
    public void s_inode_size(int v) { Le.u16(b, 0x58, v); }

    public int s_block_group_nr() { return Le.u16(b, 0x5A); }
    public void s_block_group_nr(int v) { Le.u16(b, 0x5A, v); }

    public int s_feature_compat() { return (int) Le.u32(b, 0x5C); }
    public void s_feature_compat(int v) { Le.u32(b, 0x5C, v); }

    public int s_feature_incompat() { return (int) Le.u32(b, 0x60); }
    public void s_feature_incompat(int v) { Le.u32(b, 0x60, v); }

    public int s_feature_ro_compat() { return (int) Le.u32(b, 0x64); }
    public void s_feature_ro_compat(int v) { Le.u32(b, 0x64, v); }

    /** A copy of the 16-byte filesystem UUID. */
    public byte[] s_uuid() { return Arrays.copyOfRange(b, 0x68, 0x78); }
    public void s_uuid(byte[] v) { put(0x68, v, 16); }

    public byte[] s_volume_name() { return Arrays.copyOfRange(b, 0x78, 0x88); }
    public void s_volume_name(byte[] v) { put(0x78, v, 16); }

    public int s_reserved_gdt_blocks() { return Le.u16(b, 0xCE); }

    public int s_journal_inum() { return (int) Le.u32(b, 0xE0); }
    public void s_journal_inum(int v) { Le.u32(b, 0xE0, v); }

    /** The head of the orphan list: an inode whose i_dtime holds the next one's number (0 ends the chain). */
    public int s_last_orphan() { return (int) Le.u32(b, 0xE8); }
    public void s_last_orphan(int v) { Le.u32(b, 0xE8, v & 0xFFFFFFFFL); }

    public byte[] s_hash_seed() { return Arrays.copyOfRange(b, 0xEC, 0xFC); }
    public void s_hash_seed(byte[] v) { put(0xEC, v, 16); }

    public int s_def_hash_version() { return Le.u8(b, 0xFC); }
    public void s_def_hash_version(int v) { Le.u8(b, 0xFC, v); }

    public int s_jnl_backup_type() { return Le.u8(b, 0xFD); }
    public void s_jnl_backup_type(int v) { Le.u8(b, 0xFD, v); }

    public int s_desc_size() { return Le.u16(b, 0xFE); }
    public void s_desc_size(int v) { Le.u16(b, 0xFE, v); }

    public int s_default_mount_opts() { return (int) Le.u32(b, 0x100); }
    public void s_default_mount_opts(int v) { Le.u32(b, 0x100, v); }

    public long s_mkfs_time() { return Le.u32(b, 0x108); }
    public void s_mkfs_time(long v) { Le.u32(b, 0x108, v); }

    /** s_jnl_blocks[i], i in 0..16: 0–14 the journal inode's i_block, 15 i_size_high, 16 i_size. */
    public long s_jnl_blocks(int i) { return Le.u32(b, 0x10C + 4 * i); }
    public void s_jnl_blocks(int i, long v) { Le.u32(b, 0x10C + 4 * i, v); }

    public int s_min_extra_isize() { return Le.u16(b, 0x15C); }
    public void s_min_extra_isize(int v) { Le.u16(b, 0x15C, v); }

    public int s_want_extra_isize() { return Le.u16(b, 0x15E); }
    public void s_want_extra_isize(int v) { Le.u16(b, 0x15E, v); }

    public int s_flags() { return (int) Le.u32(b, 0x160); }
    public void s_flags(int v) { Le.u32(b, 0x160, v); }

    public int s_log_groups_per_flex() { return Le.u8(b, 0x174); }
    public void s_log_groups_per_flex(int v) { Le.u8(b, 0x174, v); }

    public int s_checksum_type() { return Le.u8(b, 0x175); }
    public void s_checksum_type(int v) { Le.u8(b, 0x175, v); }

    public long s_kbytes_written() { return Le.u64(b, 0x178); }
    public void s_kbytes_written(long v) { Le.u64(b, 0x178, v); }

    public int s_lpf_ino() { return (int) Le.u32(b, 0x268); }
    public void s_lpf_ino(int v) { Le.u32(b, 0x268, v); }

    public int s_checksum_seed() { return (int) Le.u32(b, 0x270); }

    public int s_checksum() { return (int) Le.u32(b, S_CHECKSUM); }
    public void s_checksum(int v) { Le.u32(b, S_CHECKSUM, v & 0xFFFFFFFFL); }

    private void put(int off, byte[] v, int len) {
        if (v.length > len) {
            throw new IllegalArgumentException("field at 0x" + Integer.toHexString(off) + " holds " + len + " bytes, got " + v.length);
        }
        Arrays.fill(b, off, off + len, (byte) 0);
        System.arraycopy(v, 0, b, off, v.length);
    }
}
