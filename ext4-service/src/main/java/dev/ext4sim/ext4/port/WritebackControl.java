package dev.ext4sim.ext4.port;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;

/**
 * struct writeback_control as the flusher (or fsync) hands it to ext4_writepages. Byte range inclusive, as the
 * kernel's range_start/range_end; range_cyclic starts at the inode's writeback_index and wraps. {@code plugged}: the
 * caller's task holds a block plug around the call (wb_writeback's, for its whole round), so the data bios wait in it
 * until the caller finishes the plug.
 */
public record WritebackControl(int syncMode, long nrToWrite, long rangeStart, long rangeEnd, boolean rangeCyclic,
                               boolean forKupdate, boolean forBackground, boolean forSync, String reason,
                               boolean plugged) {
    public static final int WB_SYNC_NONE = 0;
    public static final int WB_SYNC_ALL = 1;
    public static final long LLONG_MAX = Long.MAX_VALUE;

    public WritebackControl {
        if (syncMode != WB_SYNC_NONE && syncMode != WB_SYNC_ALL) {
            throw new ErrnoException(Errno.EINVAL, "sync_mode is 0 (WB_SYNC_NONE) or 1 (WB_SYNC_ALL), got " + syncMode);
        }
        if (rangeStart < 0 || rangeEnd < rangeStart) {
            throw new ErrnoException(Errno.EINVAL, "bad writeback range " + rangeStart + ".." + rangeEnd);
        }
        if (nrToWrite <= 0) {
            throw new ErrnoException(Errno.EINVAL, "nr_to_write must be positive, got " + nrToWrite);
        }
        reason = reason == null ? "" : reason;
    }

    public WritebackControl(int syncMode, long nrToWrite, long rangeStart, long rangeEnd, boolean rangeCyclic,
                            boolean forKupdate, boolean forBackground, boolean forSync, String reason) {
        this(syncMode, nrToWrite, rangeStart, rangeEnd, rangeCyclic, forKupdate, forBackground, forSync, reason, false);
    }

    /** wb_check_old_data_flush's periodic pass: kupdate, cyclic, 1024 pages at a time. */
    public static WritebackControl periodic(long nrToWrite) {
        return new WritebackControl(WB_SYNC_NONE, nrToWrite, 0, LLONG_MAX, true, true, false, false, "periodic");
    }

    public static WritebackControl background(long nrToWrite) {
        return new WritebackControl(WB_SYNC_NONE, nrToWrite, 0, LLONG_MAX, true, false, true, false, "background");
    }

    /** filemap_write_and_wait_range as fsync calls it: WB_SYNC_ALL over the byte range, LONG_MAX pages. */
    public static WritebackControl fsync(long start, long end) {
        return new WritebackControl(WB_SYNC_ALL, Long.MAX_VALUE, start, end, false, false, false, false, "");
    }

    /** sync(2)'s data pass. */
    public static WritebackControl sync() {
        return new WritebackControl(WB_SYNC_ALL, Long.MAX_VALUE, 0, LLONG_MAX, false, false, false, true, "sync");
    }
}
