package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.Crc32c;
import dev.ext4sim.ondisk.Le;
import java.util.Arrays;

/**
 * {@code struct ext4_inode}: a view over one inode slot ({@code s_inode_size} bytes, normally 256) together
 * with its number, which the checksum needs. Reading and writing the slot is {@link InodeTable}'s job.
 */
public final class Inode {
    public static final int GOOD_OLD_INODE_SIZE = 128;
    static final int I_BLOCK = 0x28;
    public static final int I_BLOCK_SIZE = 60;
    static final int I_CHECKSUM_LO = 0x7C;
    static final int I_CHECKSUM_HI = 0x82;

    private final int ino;
    private final byte[] b;

    public Inode(int ino, byte[] slot) {
        if (slot.length < GOOD_OLD_INODE_SIZE) {
            throw new IllegalArgumentException("an inode slot is at least 128 bytes, got " + slot.length);
        }
        this.ino = ino;
        this.b = slot;
    }

    public int ino() {
        return ino;
    }

    public byte[] raw() {
        return b;
    }

    public boolean isDir() {
        return (i_mode() & Ext4.S_IFMT) == Ext4.S_IFDIR;
    }

    public boolean isReg() {
        return (i_mode() & Ext4.S_IFMT) == Ext4.S_IFREG;
    }

    public boolean hasExtents() {
        return (i_flags() & Ext4.EXTENTS_FL) != 0;
    }

    public int i_mode() { return Le.u16(b, 0x00); }
    public void i_mode(int v) { Le.u16(b, 0x00, v); }

    public int i_uid() { return Le.u16(b, 0x02) | Le.u16(b, 0x78) << 16; }
    public void i_uid(int v) { Le.u16(b, 0x02, v); Le.u16(b, 0x78, v >>> 16); }

    /** i_size_lo | i_size_high << 32 (ext4_isize). */
    public long i_size() { return Le.u32(b, 0x04) | Le.u32(b, 0x6C) << 32; }
    public void i_size(long v) { Le.u32(b, 0x04, v); Le.u32(b, 0x6C, v >>> 32); }

    public long i_atime() { return Le.u32(b, 0x08); }
    public void i_atime(long v) { Le.u32(b, 0x08, v); }

    public long i_ctime() { return Le.u32(b, 0x0C); }
    public void i_ctime(long v) { Le.u32(b, 0x0C, v); }

    public long i_mtime() { return Le.u32(b, 0x10); }
    public void i_mtime(long v) { Le.u32(b, 0x10, v); }

    public long i_dtime() { return Le.u32(b, 0x14); }
    public void i_dtime(long v) { Le.u32(b, 0x14, v); }

    public int i_gid() { return Le.u16(b, 0x18) | Le.u16(b, 0x7A) << 16; }
    public void i_gid(int v) { Le.u16(b, 0x18, v); Le.u16(b, 0x7A, v >>> 16); }

    public int i_links_count() { return Le.u16(b, 0x1A); }
    public void i_links_count(int v) { Le.u16(b, 0x1A, v); }

    /** In 512-byte sectors (no HUGE_FILE_FL inodes are written here): i_blocks_lo | l_i_blocks_high << 32. */
    public long i_blocks() { return Le.u32(b, 0x1C) | (long) Le.u16(b, 0x74) << 32; }
    public void i_blocks(long v) { Le.u32(b, 0x1C, v); Le.u16(b, 0x74, (int) (v >>> 32)); }

    public int i_flags() { return (int) Le.u32(b, 0x20); }
    public void i_flags(int v) { Le.u32(b, 0x20, v & 0xFFFFFFFFL); }

    /** A copy of the 60 bytes of i_block (the extent tree root for extent-mapped inodes). */
    public byte[] i_block() { return Arrays.copyOfRange(b, I_BLOCK, I_BLOCK + I_BLOCK_SIZE); }
    public void i_block(byte[] v) {
        if (v.length != I_BLOCK_SIZE) {
            throw new IllegalArgumentException("i_block is 60 bytes, got " + v.length);
        }
        System.arraycopy(v, 0, b, I_BLOCK, I_BLOCK_SIZE);
    }

    public int i_generation() { return (int) Le.u32(b, 0x64); }
    public void i_generation(int v) { Le.u32(b, 0x64, v & 0xFFFFFFFFL); }

    public long i_file_acl() { return Le.u32(b, 0x68) | (long) Le.u16(b, 0x76) << 32; }

    public int i_extra_isize() { return b.length > GOOD_OLD_INODE_SIZE ? Le.u16(b, 0x80) : 0; }
    public void i_extra_isize(int v) { Le.u16(b, 0x80, v); }

    public long i_crtime() { return Le.u32(b, 0x90); }
    public void i_crtime(long v) { Le.u32(b, 0x90, v); }

    /** Sets atime, ctime, mtime and (with room for it) crtime, nanoseconds zero. */
    public void setAllTimes(long seconds) {
        setAllTimes(Timespec.ofSeconds(seconds));
    }

    /** Sets atime, ctime, mtime and (with room for it) crtime, as __ext4_new_inode does with one current_time. */
    public void setAllTimes(Timespec t) {
        atime(t);
        ctime(t);
        mtime(t);
        crtime(t);
    }

    // EXT4_INODE_GET_XTIME / EXT4_INODE_SET_XTIME: the nanoseconds exist only where the extra part has room for them

    public Timespec atime() { return xtime(0x08, 0x8C); }
    public void atime(Timespec t) { xtime(0x08, 0x8C, t); }

    public Timespec ctime() { return xtime(0x0C, 0x84); }
    public void ctime(Timespec t) { xtime(0x0C, 0x84, t); }

    public Timespec mtime() { return xtime(0x10, 0x88); }
    public void mtime(Timespec t) { xtime(0x10, 0x88, t); }

    /** i_crtime exists only in the extra part; without it, the epoch. */
    public Timespec crtime() { return fits(0x90) ? xtime(0x90, 0x94) : Timespec.ofSeconds(0); }
    public void crtime(Timespec t) {
        if (fits(0x90)) {
            xtime(0x90, 0x94, t);
        }
    }

    private Timespec xtime(int at, int extraAt) {
        int sec = (int) Le.u32(b, at);
        return fits(extraAt) ? Timespec.decode(sec, (int) Le.u32(b, extraAt)) : Timespec.ofSeconds(sec);
    }

    private void xtime(int at, int extraAt, Timespec t) {
        Le.u32(b, at, t.sec() & 0xFFFFFFFFL);
        if (fits(extraAt)) {
            Le.u32(b, extraAt, t.encodeExtra() & 0xFFFFFFFFL);
        }
    }

    /** EXT4_FITS_IN_INODE: a 4-byte field at {@code at} lies within the inode's extra part. */
    private boolean fits(int at) {
        return at < GOOD_OLD_INODE_SIZE || b.length > GOOD_OLD_INODE_SIZE && at + 4 <= GOOD_OLD_INODE_SIZE + i_extra_isize();
    }

    /** EXT4_FITS_IN_INODE(i_checksum_hi): the high half exists only with a large enough extra part. */
    private boolean hasChecksumHi() {
        return b.length > GOOD_OLD_INODE_SIZE && i_extra_isize() >= 4;
    }

    public int i_checksum() {
        int lo = Le.u16(b, I_CHECKSUM_LO);
        return hasChecksumHi() ? lo | Le.u16(b, I_CHECKSUM_HI) << 16 : lo;
    }

    /** ext4_inode_csum: seed, LE32 ino, LE32 generation, the slot with both checksum halves as zero. */
    public int computeChecksum(int csumSeed) {
        int crc = Crc32c.updateLe32(csumSeed, ino);
        crc = Crc32c.updateLe32(crc, i_generation());
        crc = Crc32c.update(crc, b, 0, I_CHECKSUM_LO);
        crc = Crc32c.updateZeros(crc, 2);
        if (hasChecksumHi()) {
            crc = Crc32c.update(crc, b, I_CHECKSUM_LO + 2, I_CHECKSUM_HI - I_CHECKSUM_LO - 2);
            crc = Crc32c.updateZeros(crc, 2);
            crc = Crc32c.update(crc, b, I_CHECKSUM_HI + 2, b.length - I_CHECKSUM_HI - 2);
        } else {
            crc = Crc32c.update(crc, b, I_CHECKSUM_LO + 2, b.length - I_CHECKSUM_LO - 2);
            crc &= 0xFFFF;
        }
        return crc;
    }

    public void updateChecksum(int csumSeed) {
        int crc = computeChecksum(csumSeed);
        Le.u16(b, I_CHECKSUM_LO, crc);
        if (hasChecksumHi()) {
            Le.u16(b, I_CHECKSUM_HI, crc >>> 16);
        }
    }

    /** An all-zero slot is accepted whatever its checksum (ext4_inode_csum_verify does the same). */
    public boolean isAllZero() {
        for (int i = 0; i < b.length; i++) {
            if (i == I_CHECKSUM_LO || i == I_CHECKSUM_LO + 1 || i == I_CHECKSUM_HI || i == I_CHECKSUM_HI + 1) {
                continue;
            }
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
