package dev.ext4sim.writeback.wb;

import java.util.StringJoiner;

/**
 * The i_state bits writeback looks at (include/linux/fs.h, 4.x values) and {@code show_inode_state}, the
 * {@code __print_flags} table of include/trace/events/writeback.h in its table order (tracepoints.md §4.7).
 */
public final class InodeState {
    public static final int I_DIRTY_SYNC = 1;
    public static final int I_DIRTY_DATASYNC = 1 << 1;
    public static final int I_DIRTY_PAGES = 1 << 2;
    public static final int I_NEW = 1 << 3;
    public static final int I_WILL_FREE = 1 << 4;
    public static final int I_FREEING = 1 << 5;
    public static final int I_CLEAR = 1 << 6;
    public static final int I_SYNC = 1 << 7;
    public static final int I_REFERENCED = 1 << 8;
    public static final int I_DIRTY_TIME = 1 << 11;
    public static final int I_DIRTY_TIME_EXPIRED = 1 << 12;
    /** 5.9+ (the 6.x profile): queue_io moved the inode to b_io; __mark_inode_dirty leaves it where it is. */
    public static final int I_SYNC_QUEUED = 1 << 17;

    public static final int I_DIRTY_INODE = I_DIRTY_SYNC | I_DIRTY_DATASYNC;
    public static final int I_DIRTY = I_DIRTY_INODE | I_DIRTY_PAGES;
    public static final int I_DIRTY_ALL = I_DIRTY | I_DIRTY_TIME;

    private static final int[] BITS = {I_DIRTY_SYNC, I_DIRTY_DATASYNC, I_DIRTY_PAGES, I_NEW, I_WILL_FREE, I_FREEING,
            I_CLEAR, I_SYNC, I_DIRTY_TIME, I_DIRTY_TIME_EXPIRED, I_REFERENCED, I_SYNC_QUEUED};
    private static final String[] NAMES = {"I_DIRTY_SYNC", "I_DIRTY_DATASYNC", "I_DIRTY_PAGES", "I_NEW", "I_WILL_FREE",
            "I_FREEING", "I_CLEAR", "I_SYNC", "I_DIRTY_TIME", "I_DIRTY_TIME_EXPIRED", "I_REFERENCED",
            "I_SYNC_QUEUED"};

    private InodeState() {
    }

    /** __print_flags(state, "|", ...): named bits in table order, leftover bits as 0x%lx, "" for 0. */
    public static String show_inode_state(long state) {
        StringJoiner out = new StringJoiner("|");
        long left = state;
        for (int i = 0; i < BITS.length; i++) {
            if ((state & BITS[i]) == BITS[i]) {
                out.add(NAMES[i]);
                left &= ~BITS[i];
            }
        }
        if (left != 0) {
            out.add("0x" + Long.toHexString(left));
        }
        return out.toString();
    }

    /** A flag name as ext4 sends it ("I_DIRTY_PAGES"), or -1. */
    public static int byName(String name) {
        for (int i = 0; i < NAMES.length; i++) {
            if (NAMES[i].equals(name)) {
                return BITS[i];
            }
        }
        return -1;
    }
}
