package dev.ext4sim.ext4.port;

import dev.ext4sim.bus.trace.TraceContext;
import java.time.Duration;

/**
 * Notifications from ext4 to the flusher that owns the bdi (writeback-service). The first two are one-way: an
 * adapter sends them without waiting. The writeback owner emits writeback_dirty_inode_enqueue in the writer's task
 * from {@link #inodeDirtied}, and decides dirty thresholds.
 */
public interface WritebackPort {
    /**
     * __mark_inode_dirty moved the inode onto the bdi's dirty list (it was clean).
     *
     * @param state        i_state after the change (I_DIRTY_* bits)
     * @param dirtiedWhen  jiffies when it was first dirtied
     */
    void inodeDirtied(TraceContext ctx, InodeDirtied event);

    /** NR_FILE_DIRTY, NR_WRITEBACK, NR_DIRTIED or NR_WRITTEN of this filesystem changed. */
    void pageCountersChanged(TraceContext ctx, PageCounts counts);

    /**
     * balance_dirty_pages_ratelimited after {@code pagesDirtied} new dirty pages of one write: how long the writer must
     * pause (zero: none). The pause is taken by ext4 without holding any filesystem lock.
     */
    Duration balanceDirtyPagesRatelimited(TraceContext ctx, int pagesDirtied);

    /** evict_inode: the inode is gone; the flusher takes it off its lists. */
    default void inodeEvicted(TraceContext ctx, long ino) {
    }

    /**
     * This filesystem's share of the vmstat page counters: pages dirty now and under writeback now, and pages ever
     * dirtied and ever written since the mount (absolute, so a lost or coalesced report loses no page).
     */
    record PageCounts(long dirty, long writeback, long dirtied, long written) {
    }

    record InodeDirtied(int dev, long ino, int state, int flags, int mode, long dirtiedWhen) {
    }

    WritebackPort NONE = new WritebackPort() {
        @Override
        public void inodeDirtied(TraceContext ctx, InodeDirtied event) {
        }

        @Override
        public void pageCountersChanged(TraceContext ctx, PageCounts counts) {
        }

        @Override
        public Duration balanceDirtyPagesRatelimited(TraceContext ctx, int pagesDirtied) {
            return Duration.ZERO;
        }
    };
}
