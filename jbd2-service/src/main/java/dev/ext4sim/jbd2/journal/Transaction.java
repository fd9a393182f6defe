package dev.ext4sim.jbd2.journal;

import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.trace.TraceContext;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code transaction_t} (include/linux/jbd2.h): one compound transaction. Every field is guarded by the journal's
 * state lock ({@code j_state_lock}); the commit thread alone moves {@link #state} past T_RUNNING.
 */
final class Transaction {
    private final int tid;
    TransactionState state = TransactionState.T_RUNNING;
    /** t_start_time / t_start (monotonic nanos). */
    final long startNanos;
    /** t_expires: when the commit timer commits it. */
    final long expiresNanos;
    /** t_requested: when a commit was asked for, valid if {@link #requested} (otherwise a timer commit). */
    long requestedNanos;
    boolean requested;
    /** The trace context of the first requester (its commit events carry its trace id). */
    TraceContext requestedBy;
    /** t_updates: handles open on it. */
    int updates;
    /** t_outstanding_credits. */
    int outstandingCredits;
    /** t_handle_count. */
    int handleCount;
    /** t_max_wait, jiffies. */
    long maxWait;
    /** t_synchronous_commit: a sync handle stopped on it. */
    boolean synchronousCommit;
    /** The metadata buffers (t_buffers) with their newest contents, in the order first dirtied. */
    final Map<Long, byte[]> buffers = new LinkedHashMap<>();
    /** Revoke records of this transaction (the running revoke table). */
    final Set<Long> revoked = new LinkedHashSet<>();
    /** t_inode_list for data=ordered. */
    final Map<Long, OrderedData.InodeRange> inodes = new LinkedHashMap<>();
    /**
     * The requester of the commit found the data of every range already written (see
     * {@link Journal#jbd2_log_start_commit(int, TraceContext, boolean)}); a range registered after that clears it.
     */
    boolean orderedDataWritten;
    /** The commit timer (j_commit_timer), armed for this transaction. */
    Scheduler.Cancellable timer;
    /** Phase timestamps of the commit, monotonic nanos. */
    long lockedNanos;
    long flushingNanos;
    long loggingNanos;

    Transaction(int tid, long startNanos, long expiresNanos) {
        this.tid = tid;
        this.startNanos = startNanos;
        this.expiresNanos = expiresNanos;
    }

    int tid() {
        return tid;
    }

    boolean synchronousCommit() {
        return synchronousCommit;
    }

    List<OrderedData.InodeRange> inodeList() {
        return List.copyOf(inodes.values());
    }

    @Override
    public String toString() {
        return "transaction " + Integer.toUnsignedString(tid) + " (" + state + ")";
    }
}
