package dev.ext4sim.jbd2.journal;

import dev.ext4sim.bus.trace.TraceContext;
import java.util.HashSet;
import java.util.Set;

/**
 * {@code handle_t}: one atomic filesystem operation's share of a transaction, owned by the task that started it.
 * Obtained from {@link Journal#jbd2_journal_start}; every operation on it goes through the {@link Journal}.
 */
public final class Handle {
    private final long id;
    final TraceContext owner;
    private final int type;
    private final int lineNo;
    Transaction transaction;
    /** h_requested_credits (what start or restart asked for). */
    int requestedBlocks;
    /** h_buffer_credits / h_total_credits: credits not used yet. */
    int credits;
    /** h_dirtied: buffers this handle added to the transaction. */
    int dirtied;
    boolean sync;
    long startJiffies;
    boolean stopped;
    /** Buffers this handle got write access to (jbd2_journal_get_write_access). */
    final Set<Long> access = new HashSet<>();

    Handle(long id, TraceContext owner, int type, int lineNo) {
        this.id = id;
        this.owner = owner;
        this.type = type;
        this.lineNo = lineNo;
    }

    public long id() {
        return id;
    }

    /** The tid of the transaction the handle runs in. */
    public int tid() {
        return transaction.tid();
    }

    public int type() {
        return type;
    }

    public int lineNo() {
        return lineNo;
    }

    public int requestedBlocks() {
        return requestedBlocks;
    }

    public int dirtiedBlocks() {
        return dirtied;
    }

    public int credits() {
        return credits;
    }

    public boolean isSync() {
        return sync;
    }

    public TraceContext owner() {
        return owner;
    }

    /** handle->h_sync = 1: stopping this handle commits its transaction and waits for it (O_SYNC, fsync paths). */
    public Handle setSync(boolean sync) {
        this.sync = sync;
        return this;
    }

    @Override
    public String toString() {
        return "handle " + id + " of " + owner.task() + " in " + transaction;
    }
}
