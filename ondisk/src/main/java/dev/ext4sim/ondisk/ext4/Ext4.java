package dev.ext4sim.ondisk.ext4;

/** Constants of {@code fs/ext4/ext4.h} that more than one structure needs. */
public final class Ext4 {
    public static final int SUPER_MAGIC = 0xEF53;
    /** The primary superblock starts 1024 bytes into the device whatever the block size. */
    public static final int SUPERBLOCK_OFFSET = 1024;
    public static final int SUPERBLOCK_SIZE = 1024;

    public static final int BAD_INO = 1;
    public static final int ROOT_INO = 2;
    public static final int JOURNAL_INO = 8;
    public static final int FIRST_INO = 11;
    public static final int LOST_AND_FOUND_INO = 11;

    // s_feature_compat
    public static final int COMPAT_HAS_JOURNAL = 0x4;
    public static final int COMPAT_EXT_ATTR = 0x8;
    public static final int COMPAT_RESIZE_INODE = 0x10;
    public static final int COMPAT_DIR_INDEX = 0x20;
    public static final int COMPAT_ORPHAN_FILE = 0x1000;
    // s_feature_incompat
    public static final int INCOMPAT_FILETYPE = 0x2;
    public static final int INCOMPAT_RECOVER = 0x4;
    public static final int INCOMPAT_EXTENTS = 0x40;
    public static final int INCOMPAT_64BIT = 0x80;
    public static final int INCOMPAT_FLEX_BG = 0x200;
    public static final int INCOMPAT_CSUM_SEED = 0x2000;
    // s_feature_ro_compat
    public static final int RO_COMPAT_SPARSE_SUPER = 0x1;
    public static final int RO_COMPAT_LARGE_FILE = 0x2;
    public static final int RO_COMPAT_HUGE_FILE = 0x8;
    public static final int RO_COMPAT_GDT_CSUM = 0x10;
    public static final int RO_COMPAT_DIR_NLINK = 0x20;
    public static final int RO_COMPAT_EXTRA_ISIZE = 0x40;
    public static final int RO_COMPAT_METADATA_CSUM = 0x400;

    /**
     * Ro_compat bits this library keeps right when it writes; any other (gdt_csum's CRC16, bigalloc, quota,
     * orphan_present, ...) makes {@code open} refuse the image rather than leave it inconsistent.
     */
    public static final int RO_COMPAT_SUPPORTED = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE | RO_COMPAT_HUGE_FILE
            | RO_COMPAT_DIR_NLINK | RO_COMPAT_EXTRA_ISIZE | RO_COMPAT_METADATA_CSUM;

    /** Incompat bits this library understands; anything else makes {@code open} refuse the image. */
    public static final int INCOMPAT_SUPPORTED = INCOMPAT_FILETYPE | INCOMPAT_RECOVER | INCOMPAT_EXTENTS
            | INCOMPAT_64BIT | INCOMPAT_FLEX_BG | INCOMPAT_CSUM_SEED;

    // bg_flags
    public static final int BG_INODE_UNINIT = 0x1;
    public static final int BG_BLOCK_UNINIT = 0x2;
    public static final int BG_INODE_ZEROED = 0x4;

    // i_flags
    public static final int HUGE_FILE_FL = 0x40000;
    public static final int EXTENTS_FL = 0x80000;
    public static final int INDEX_FL = 0x1000;
    public static final int INLINE_DATA_FL = 0x10000000;

    // i_mode
    public static final int S_IFMT = 0xF000;
    public static final int S_IFREG = 0x8000;
    public static final int S_IFDIR = 0x4000;
    public static final int S_IFLNK = 0xA000;

    // ext4_dir_entry_2.file_type
    public static final int FT_UNKNOWN = 0;
    public static final int FT_REG_FILE = 1;
    public static final int FT_DIR = 2;
    public static final int FT_SYMLINK = 7;

    /** s_checksum_type for crc32c, the only one defined. */
    public static final int CRC32C_CHKSUM = 1;

    private Ext4() {
    }

    /** EXT4_FT_* for an i_mode, as ext4_set_de_type does. */
    public static int fileType(int mode) {
        return switch (mode & S_IFMT) {
            case S_IFREG -> FT_REG_FILE;
            case S_IFDIR -> FT_DIR;
            case 0x2000 -> 3;
            case 0x6000 -> 4;
            case 0x1000 -> 5;
            case 0xC000 -> 6;
            case S_IFLNK -> FT_SYMLINK;
            default -> FT_UNKNOWN;
        };
    }
}
