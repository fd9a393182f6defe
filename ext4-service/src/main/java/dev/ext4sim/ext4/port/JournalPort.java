package dev.ext4sim.ext4.port;

import dev.ext4sim.bus.trace.TraceContext;

/**
 * The jbd2 journal of the filesystem as ext4 sees it: load at mount, handles, and the log waits. The trace context
 * of a handle is its owner task (the writer, or the kworker running writepages), as in the kernel where a handle
 * belongs to {@code current}.
 */
public interface JournalPort {
    /** ext4_load_journal: recovery (if needed) and kjournald2 start are the adapter's and jbd2's business. */
    void load(TraceContext ctx);

    /** jbd2__journal_start with {@code credits} buffer credits; type as tracepoints.md §4.6, lineNo the call site. */
    JournalHandle start(TraceContext owner, int type, int credits, int lineNo);

    /**
     * jbd2_complete_transaction (fsync): start the commit of {@code tid} if it still runs, and wait until it is durable.
     *
     * @return true when a commit covering {@code tid} issued its own cache flush after this call began (the commit
     *     block's PREFLUSH), so the caller's data is on stable media; false when tid had already committed and the
     *     caller must flush itself (what {@code jbd2_trans_will_send_data_barrier} decides in the kernel)
     * @param orderedDataWritten the caller found every page over an allocated block written when it asked: the commit
     *     it starts has nothing for data=ordered to write, and an adapter whose T_FLUSH costs a round trip may tell
     *     the journal so
     */
    boolean completeTransaction(TraceContext ctx, JournalTid tid, boolean orderedDataWritten);

    /** {@link #completeTransaction(TraceContext, JournalTid, boolean)} from a caller that did not look at the data. */
    default boolean completeTransaction(TraceContext ctx, JournalTid tid) {
        return completeTransaction(ctx, tid, false);
    }

    /** jbd2_journal_force_commit: commit what is running and wait (sync_fs). */
    void forceCommit(TraceContext ctx);

    /** jbd2_journal_flush: commit everything and checkpoint it home (unmount, freeze). */
    void flush(TraceContext ctx);
}
