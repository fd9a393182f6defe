package dev.ext4sim.jbd2.journal;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.jbd2.CommittedTransaction;
import dev.ext4sim.ondisk.jbd2.JournalFullException;
import dev.ext4sim.ondisk.jbd2.MetadataBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code jbd2_journal_commit_transaction} (fs/jbd2/commit.c), run by the commit thread only:
 *
 * <ol>
 *   <li>T_RUNNING: jbd2_start_commit; T_LOCKED: jbd2_commit_locking, wait for the open handles (t_updates = 0);</li>
 *   <li>T_SWITCH, then T_FLUSH: the transaction becomes the committing one and a new running transaction may start
 *       (handles waiting on the lock wake); jbd2_commit_flushing; ordered data written and waited;</li>
 *   <li>T_COMMIT: jbd2_commit_logging; revoke, descriptor and escaped metadata blocks written to the log
 *       (T_COMMIT_DFLUSH), then the commit block with PREFLUSH|FUA (T_COMMIT_JFLUSH), through the ondisk
 *       {@code JournalWriter};</li>
 *   <li>jbd2_run_stats, T_COMMIT_CALLBACK (j_commit_sequence = tid, callbacks), T_FINISHED, jbd2_end_commit,
 *       waiters woken.</li>
 * </ol>
 *
 * A write that fails aborts the journal (jbd2_journal_abort): nothing later is committed and every waiter gets EIO.
 */
final class Commit {
    private final Journal j;
    /** Test hook: every state change, in order, as (tid, state). */
    private final Consumer<StateChange> observer;

    record StateChange(int tid, TransactionState state) {
    }

    Commit(Journal j, Consumer<StateChange> observer) {
        this.j = j;
        this.observer = observer;
    }

    /** Commits the running transaction if there is one. Returns its tid, or empty. */
    java.util.OptionalInt jbd2_journal_commit_transaction() {
        Transaction t;
        TraceContext ctx;
        j.lock.lock();
        try {
            t = j.running;
            if (t == null || t.state != TransactionState.T_RUNNING) {
                return java.util.OptionalInt.empty();
            }
            if (t.timer != null) {
                t.timer.cancel(); // del_timer_sync(&journal->j_commit_timer)
            }
            ctx = t.requestedBy == null ? j.thread : new TraceContext(t.requestedBy.traceId(), j.thread.task());
            j.trace.commitPhase(Jbd2Trace.START_COMMIT, ctx, t);

            t.lockedNanos = j.time.nanoTime();
            setState(t, TransactionState.T_LOCKED);
            j.trace.commitPhase(Jbd2Trace.COMMIT_LOCKING, ctx, t);
            while (t.updates > 0 && j.aborted == null) {
                j.waitUpdates.awaitUninterruptibly();
            }
            j.checkAborted();

            setState(t, TransactionState.T_SWITCH);
            j.committing = t;
            j.running = null;
            t.flushingNanos = j.time.nanoTime();
            setState(t, TransactionState.T_FLUSH);
            j.trace.commitPhase(Jbd2Trace.COMMIT_FLUSHING, ctx, t);
            j.waitTransactionLocked.signalAll();
        } finally {
            j.lock.unlock();
        }

        try {
            // T_FLUSH: journal_submit_data_buffers + journal_finish_inode_data_buffers (the lock is not held:
            // new handles run in the next transaction meanwhile).
            if (!t.inodes.isEmpty()) {
                for (OrderedData.InodeRange r : t.inodeList()) {
                    j.trace.submitInodeData(ctx, r.ino()); // journal_submit_data_buffers, per inode written out
                }
                if (!t.orderedDataWritten) {
                    j.orderedData.writeAndWait(t.tid(), t.inodeList());
                }
            }
            t.loggingNanos = j.time.nanoTime();
            setStateLocked(t, TransactionState.T_COMMIT);
            j.trace.commitPhase(Jbd2Trace.COMMIT_LOGGING, ctx, t);

            CommittedTransaction where = writeLog(t);

            RunStats stats;
            j.lock.lock();
            try {
                long now = j.time.nanoTime();
                long commitTime = now - t.flushingNanos;
                j.stats.updateAverageCommitTime(commitTime);
                stats = new RunStats(t.tid(), t.maxWait,
                        !t.requested ? 0 : jiffiesBetween(t.requestedNanos, t.lockedNanos),
                        jiffiesBetween(t.startNanos, t.lockedNanos), jiffiesBetween(t.lockedNanos, t.flushingNanos),
                        jiffiesBetween(t.flushingNanos, t.loggingNanos), jiffiesBetween(t.loggingNanos, now),
                        t.handleCount, t.buffers.size(), where.length(), t.requested, commitTime);
                j.trace.runStats(ctx, stats);
                j.commitSequence = t.tid();
                setState(t, TransactionState.T_COMMIT_CALLBACK);
            } finally {
                j.lock.unlock();
            }
            j.listener.committed(stats);
            j.stats.add(stats);
            j.lock.lock();
            try {
                setState(t, TransactionState.T_FINISHED);
                j.committing = null;
                j.checkpoint.add(t, where, j.time.nanoTime());
                j.trace.endCommit(ctx, t, j.checkpoint.tailSequence());
                j.waitDoneCommit.signalAll();
            } finally {
                j.lock.unlock();
            }
            return java.util.OptionalInt.of(t.tid());
        } catch (RuntimeException e) {
            throw j.ioFailed("commit of transaction " + t.tid(), e);
        }
    }

    /** T_COMMIT to T_COMMIT_JFLUSH through the ondisk writer; checkpoints first if the log has no room. */
    private CommittedTransaction writeLog(Transaction t) {
        List<MetadataBlock> blocks = new ArrayList<>(t.buffers.size());
        for (Map.Entry<Long, byte[]> b : t.buffers.entrySet()) {
            blocks.add(new MetadataBlock(b.getKey(), b.getValue()));
        }
        long wall = j.time.currentTimeMillis();
        dev.ext4sim.ondisk.jbd2.Transaction logged = new dev.ext4sim.ondisk.jbd2.Transaction(blocks,
                List.copyOf(t.revoked), Math.floorDiv(wall, 1000), (int) Math.floorMod(wall, 1000) * 1_000_000);
        j.ioLock.lock();
        try {
            setStateLocked(t, TransactionState.T_COMMIT_DFLUSH);
            setStateLocked(t, TransactionState.T_COMMIT_JFLUSH);
            CommittedTransaction[] where = new CommittedTransaction[1];
            try {
                j.io.run(() -> where[0] = j.writer.commit(logged));
            } catch (JournalFullException full) {
                // __jbd2_log_wait_for_space: checkpoint to free the log, then write.
                j.checkpoint.doCheckpointLocked(true);
                j.io.run(() -> where[0] = j.writer.commit(logged));
            }
            return where[0];
        } finally {
            j.ioLock.unlock();
        }
    }

    private long jiffiesBetween(long fromNanos, long toNanos) {
        return j.config.jiffies(toNanos) - j.config.jiffies(fromNanos);
    }

    private void setStateLocked(Transaction t, TransactionState s) {
        j.lock.lock();
        try {
            setState(t, s);
        } finally {
            j.lock.unlock();
        }
    }

    private void setState(Transaction t, TransactionState s) {
        if (s.ordinal() != t.state.ordinal() + 1) {
            throw new IllegalStateException(t + " cannot go to " + s);
        }
        t.state = s;
        observer.accept(new StateChange(t.tid(), s));
    }
}
