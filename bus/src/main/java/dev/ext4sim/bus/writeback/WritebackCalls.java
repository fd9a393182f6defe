package dev.ext4sim.bus.writeback;

import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.call.EventType;

/** What others ask of writeback-service (fs/fs-writeback.c, mm/page-writeback.c, kernel/sysctl.c's vm table). */
public final class WritebackCalls {
    public static final String SERVICE = "writeback-service";

    /**
     * sync(2)'s writeback half: wakeup_flusher_threads and sync_inodes_sb, which queue WB_SYNC_ALL work (reason
     * "sync") on the device's bdi_writeback and wait until the flusher wrote every inode dirtied before the call.
     */
    public static final CallType<SyncInodes, Synced> SYNC_INODES = CallType.json("sync_inodes_sb", 1, SyncInodes.class, Synced.class);

    /** /proc/sys/vm/dirty_*: read (value null) or write one setting while the system runs. */
    public static final CallType<Sysctl, SysctlValue> SYSCTL = CallType.json("proc_sysctl", 1, Sysctl.class, SysctlValue.class);

    /**
     * __mark_inode_dirty moved a clean inode onto the bdi's dirty list (ext4 → writeback, one-way, keyed by dev). It
     * travels in the writer's trace context: writeback emits what the kernel emits there in the writer's task.
     */
    public static final EventType<InodeDirtied> INODE_DIRTIED = EventType.json("writeback_inode_dirtied", 1, InodeDirtied.class);

    /** The filesystem's NR_FILE_DIRTY and NR_WRITEBACK now (absolute, with a sequence so a late one is dropped). */
    public static final EventType<PageCounters> PAGE_COUNTERS = EventType.json("writeback_page_counters", 1, PageCounters.class);

    /** evict_inode: an unlinked inode is gone; take it off the lists. */
    public static final EventType<InodeEvicted> INODE_EVICTED = EventType.json("writeback_inode_evicted", 1, InodeEvicted.class);

    /**
     * The dirty thresholds in pages (global_dirty_limits), published by writeback at start and after every sysctl
     * change, so that ext4 asks {@link #BALANCE_DIRTY_PAGES} only when a writer is past the freerun point.
     */
    public static final EventType<DirtyLimits> DIRTY_LIMITS = EventType.json("writeback_dirty_limits", 1, DirtyLimits.class);

    /** The current thresholds, for a service that starts after writeback published them. */
    public static final CallType<DirtyLimitsQuery, DirtyLimits> GET_DIRTY_LIMITS = CallType.json("global_dirty_limits", 1,
            DirtyLimitsQuery.class, DirtyLimits.class);

    /** balance_dirty_pages_ratelimited: how long the writer must pause (0: none). Runs in the writer's task. */
    public static final CallType<Balance, Pause> BALANCE_DIRTY_PAGES = CallType.json("balance_dirty_pages", 1, Balance.class, Pause.class);

    private WritebackCalls() {
    }

    /**
     * @param state         I_DIRTY_* bits after the change; {@code dirtiedWhen} jiffies of the shared trace clock
     * @param observedNanos when the writer dirtied it, on the shared trace clock (0: unknown), so that what writeback
     *                      traces in the writer's task keeps its place in the writer's timeline
     */
    public record InodeDirtied(String dev, long ino, int state, int flags, int mode, long dirtiedWhen, long observedNanos) {
        public InodeDirtied(String dev, long ino, int state, int flags, int mode, long dirtiedWhen) {
            this(dev, ino, state, flags, mode, dirtiedWhen, 0);
        }
    }

    /**
     * One filesystem's page counters, absolute: dirty and under writeback now, dirtied and written since ext4 mounted
     * it, so that the flusher's vmstat follows exactly however many reports are coalesced or lost.
     *
     * @param seq larger than any earlier report of the filesystem, including a previous ext4 instance's
     */
    public record PageCounters(String dev, long seq, long dirtyPages, long writebackPages, long dirtiedPages,
                               long writtenPages) {
        /** Counts of now only: the flusher infers what it can of dirtied and written from the change. */
        public PageCounters(String dev, long seq, long dirtyPages, long writebackPages) {
            this(dev, seq, dirtyPages, writebackPages, 0, 0);
        }
    }

    public record InodeEvicted(String dev, long ino) {
    }

    public record DirtyLimitsQuery(String dev) {
    }

    /** Pages: background threshold, dirty threshold, and the freerun point (bg + thresh) / 2. */
    public record DirtyLimits(long backgroundThresh, long thresh, long freerun) {
    }

    public record Balance(String dev, long pagesDirtied) {
    }

    public record Pause(long pauseNanos) {
    }

    /** @param dev the filesystem's device, "sda1" (its disk's bdi is 8:0) */
    public record SyncInodes(String dev) {
    }

    public record Synced(long pagesWritten) {
    }

    /** @param name e.g. vm.dirty_expire_centisecs; {@code value} null reads it */
    public record Sysctl(String name, String value) {
    }

    public record SysctlValue(String name, String value) {
    }
}
