package dev.ext4sim.writeback.wb;

/**
 * struct writeback_control as writeback_sb_inodes hands it to do_writepages: how many pages this inode may write
 * ({@code nrToWrite}), whether it is data-integrity writeback ({@code syncMode} {@link #WB_SYNC_ALL}) and why.
 * Immutable on the wire; the flusher keeps the running count itself. {@code reason} is the work's wb_reason, which
 * the kernel's wbc does not hold but ext4_writepages' caller in another process needs for its trace.
 */
public record WritebackControl(long nrToWrite, int syncMode, boolean forKupdate, boolean forBackground,
                               boolean forSync, boolean rangeCyclic, long rangeStart, long rangeEnd, WbReason reason) {
    public static final int WB_SYNC_NONE = 0;
    public static final int WB_SYNC_ALL = 1;
    /** LLONG_MAX, the range_end of whole-file writeback. */
    public static final long LLONG_MAX = Long.MAX_VALUE;

    public WritebackControl withNrToWrite(long n) {
        return new WritebackControl(n, syncMode, forKupdate, forBackground, forSync, rangeCyclic, rangeStart, rangeEnd,
                reason);
    }
}
