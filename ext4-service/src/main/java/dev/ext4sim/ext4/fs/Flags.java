package dev.ext4sim.ext4.fs;

/**
 * The kernel's flag and symbol tables for ext4's tracepoints (tracepoints.md §4) and the {@code __print_flags} rule:
 * names of every entry whose bits are all set, in table order, then any bits left over as hex.
 */
final class Flags {
    // show_map_flags (EXT4_GET_BLOCKS_*)
    static final int GET_BLOCKS_CREATE = 0x1;
    static final int GET_BLOCKS_UNWRIT = 0x2;
    static final int GET_BLOCKS_DELALLOC = 0x4;
    static final int GET_BLOCKS_METADATA_NOFAIL = 0x20;
    /** EXT4_EX_NOCACHE: ext4_find_extent caches nothing in the status tree. */
    static final int GET_BLOCKS_EX_NOCACHE = 0x40000000;
    static final long[] MAP_FLAG_BITS = {0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x100, 0x200, 0x400, 0x40000000};
    static final String[] MAP_FLAG_NAMES = {"CREATE", "UNWRIT", "DELALLOC", "PRE_IO", "CONVERT", "METADATA_NOFAIL",
        "NO_NORMALIZE", "CONVERT_UNWRITTEN", "ZERO", "IO_SUBMIT", "EX_NOCACHE"};
    static final int GET_BLOCKS_PRE_IO = 0x8;
    static final int GET_BLOCKS_CONVERT = 0x10;
    static final int GET_BLOCKS_IO_SUBMIT = 0x400;

    // show_mflags (EXT4_MAP_*), bit values before ~5.8 (BH_New = 6)
    static final int MAP_NEW = 0x40;
    static final int MAP_MAPPED = 0x20;
    static final int MAP_UNWRITTEN = 0x1000;
    static final int MAP_BOUNDARY = 0x400;
    static final long[] MFLAG_BITS = {MAP_NEW, MAP_MAPPED, MAP_UNWRITTEN, MAP_BOUNDARY};
    static final String[] MFLAG_NAMES = {"N", "M", "U", "B"};

    // show_extent_status
    static final int ES_WRITTEN = 0x1;
    static final int ES_UNWRITTEN = 0x2;
    static final int ES_DELAYED = 0x4;
    static final int ES_HOLE = 0x8;
    /** EXTENT_STATUS_REFERENCED, printed R from 5.5. */
    static final int ES_REFERENCED = 0x10;
    static final long[] ES_BITS = {0x1, 0x2, 0x4, 0x8, 0x10};
    static final String[] ES_NAMES = {"W", "U", "D", "H", "R"};
    /** es_pblk of delayed and hole extents (~0) with the 5 status bits masked: 2^59 - 1. */
    static final long ES_PBLK_NONE = (1L << 59) - 1;

    // show_mballoc_flags (EXT4_MB_*), 4.x table
    static final int MB_HINT_MERGE = 0x1;
    static final int MB_HINT_DATA = 0x20;
    static final int MB_HINT_NOPREALLOC = 0x40;
    static final int MB_DELALLOC_RESERVED = 0x400;
    static final int MB_USE_RESERVED = 0x2000;
    static final long[] MB_BITS = {0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000};
    static final String[] MB_NAMES = {"HINT_MERGE", "HINT_RESV", "HINT_MDATA", "HINT_FIRST", "HINT_BEST", "HINT_DATA",
        "HINT_NOPREALLOC", "HINT_GRP_ALLOC", "HINT_GOAL_ONLY", "HINT_TRY_GOAL", "DELALLOC_RESV", "STREAM_ALLOC",
        "USE_ROOT_BLKS", "USE_RESV"};

    // show_inode_state (I_*), 4.x values
    static final int I_DIRTY_SYNC = 0x1;
    static final int I_DIRTY_DATASYNC = 0x2;
    static final int I_DIRTY_PAGES = 0x4;
    static final int I_DIRTY_INODE = I_DIRTY_SYNC | I_DIRTY_DATASYNC;
    static final int I_DIRTY = I_DIRTY_INODE | I_DIRTY_PAGES;
    static final int I_NEW = 0x8;
    static final int I_SYNC = 0x80;
    static final long[] INODE_STATE_BITS = {0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x800, 0x1000, 0x100};
    static final String[] INODE_STATE_NAMES = {"I_DIRTY_SYNC", "I_DIRTY_DATASYNC", "I_DIRTY_PAGES", "I_NEW",
        "I_WILL_FREE", "I_FREEING", "I_CLEAR", "I_SYNC", "I_DIRTY_TIME", "I_DIRTY_TIME_EXPIRED", "I_REFERENCED"};

    /** EXT4_GET_BLOCKS_* bits and pairs not named above, with their 4.19 values (fs/ext4/ext4.h). */
    static final int GET_BLOCKS_CREATE_UNWRIT_EXT = GET_BLOCKS_UNWRIT | GET_BLOCKS_CREATE;
    static final int GET_BLOCKS_DELALLOC_RESERVE = GET_BLOCKS_DELALLOC;
    static final int GET_BLOCKS_IO_CREATE_EXT = GET_BLOCKS_PRE_IO | GET_BLOCKS_CREATE_UNWRIT_EXT;
    static final int GET_BLOCKS_IO_CONVERT_EXT = GET_BLOCKS_CONVERT | GET_BLOCKS_CREATE_UNWRIT_EXT;
    static final int GET_BLOCKS_NO_NORMALIZE = 0x40;
    static final int GET_BLOCKS_KEEP_SIZE = 0x80;
    /** 4.19's show_map_flags: KEEP_SIZE and ZERO named; CONVERT_UNWRITTEN (0x100), IO_SUBMIT and EX_* print as hex. */
    static final long[] MAP_FLAG_BITS_4X = {0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x200};
    static final String[] MAP_FLAG_NAMES_4X = {"CREATE", "UNWRIT", "DELALLOC", "PRE_IO", "CONVERT", "METADATA_NOFAIL",
        "NO_NORMALIZE", "KEEP_SIZE", "ZERO"};

    private Flags() {
    }

    /** __print_flags(v, delim, table). */
    static String print(long v, String delim, long[] bits, String[] names) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < bits.length && v != 0; i++) {
            if ((v & bits[i]) == bits[i]) {
                if (!out.isEmpty()) {
                    out.append(delim);
                }
                out.append(names[i]);
                v &= ~bits[i];
            }
        }
        if (v != 0) {
            if (!out.isEmpty()) {
                out.append(delim);
            }
            out.append("0x").append(Long.toHexString(v));
        }
        return out.toString();
    }
}
