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
 *   <li>a journal a clean load or a flush left empty ({@code JBD2_FLUSHED}) has its log tail written first: the 6.x
 *       profile traces that jbd2_write_superblock and sends the write (unflushed) before jbd2_start_commit, as a
 *       submission of its own; the 4.x profile traces it with {@code write_flags 800} and writes the tail, flushed,
 *       in the commit's batch, ahead of the log;</li>
 *   <li>T_RUNNING: jbd2_start_commit; T_LOCKED: jbd2_commit_locking, wait for the open handles (t_updates = 0);</li>
 *   <li>T_SWITCH, then T_FLUSH: the transaction becomes the committing one and a new running transaction may start
 *       (handles waiting on the lock wake); jbd2_commit_flushing; ordered data written and waited;</li>
 *   <li>still in T_FLUSH, the revoke blocks take their log blocks (jbd2_journal_write_revoke_records); T_COMMIT:
 *       jbd2_commit_logging; the descriptor and escaped metadata blocks take theirs (T_COMMIT_DFLUSH), then the
 *       commit block (T_COMMIT_JFLUSH), and all of it goes to the log, the commit block with PREFLUSH|FUA, through
 *       the ondisk {@code JournalWriter}. Each log block is mapped through the journal inode as
 *       jbd2_journal_next_log_block does ({@link JournalBmap}). 4.x: the block layer sees the whole log as one plug,
 *       so the mapping events of all of them come before the block events of any. 6.x: the revoke, descriptor and
 *       metadata blocks go out under one plug that blk_finish_plug sends, and only then is the commit block mapped
 *       and written, as journal_submit_commit_record does;</li>
 *   <li>the t_forget pass: blocks this commit logged or revoked leave older transactions' checkpoint lists, and an
 *       older transaction left with nothing to write is dropped; each logged buffer the running transaction has not
 *       taken again is exposed to the VM, mark_buffer_dirty of its home block ({@link Checkpoint#commitForget},
 *       {@link BdevInode});</li>
 *   <li>jbd2_run_stats, T_COMMIT_CALLBACK (j_commit_sequence = tid, callbacks), T_FINISHED, jbd2_end_commit, the
 *       transaction dropped at once if it has nothing to checkpoint, waiters woken.</li>
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
        boolean flushed = tailPending();
        boolean v6 = j.trace.tracer().profile().v6();
        if (flushed && v6) {
            TraceContext early = runningContext();
            if (early == null) {
                return java.util.OptionalInt.empty();
            }
            // JBD2_FLUSHED: jbd2_journal_update_sb_log_tail(.., 0) submits the tail and waits for it before the
            // commit starts, with no flush (the commit block's PREFLUSH covers it)
            j.trace.writeSuperblock(early, Jbd2Trace.REQ_SYNC);
            updateSbLogTail();
            flushed = false;
        }
        j.lock.lock();
        try {
            t = j.running;
            if (t == null || t.state != TransactionState.T_RUNNING) {
                return java.util.OptionalInt.empty();
            }
            if (t.timer != null) {
                t.timer.cancel(); // del_timer_sync(&journal->j_commit_timer)
            }
            ctx = contextOf(t);
            if (flushed) {
                // JBD2_FLUSHED: jbd2_journal_update_sb_log_tail(.., REQ_SYNC); the writer writes that tail with this
                // commit's log
                j.trace.writeSuperblock(ctx, Jbd2Trace.REQ_SYNC);
            }
            j.trace.commitPhase(Jbd2Trace.START_COMMIT, ctx, t);

            t.lockedNanos = j.time.nanoTime();
            setState(t, TransactionState.T_LOCKED);
            j.trace.commitPhase(Jbd2Trace.COMMIT_LOCKING, ctx, t);
            while (t.updates > 0 && j.aborted == null) {
                j.waitUpdates.awaitUninterruptibly();
            }
            j.checkAborted();
            if (j.trace.tracer().profile().v6()) {
                // 4.x: the timed checkpoint writes every buffer home and frees the transactions itself
                j.checkpoint.cleanCheckpointList(ctx);
            }

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
            LogBlocks layout = LogBlocks.of(j.writer.journal().superblock(), t.revoked.size(), t.buffers.size());
            long head = makeRoom(layout);
            long next = mapLogBlocks(ctx, head, layout.revoke());
            t.loggingNanos = j.time.nanoTime();
            setStateLocked(t, TransactionState.T_COMMIT);
            j.trace.commitPhase(Jbd2Trace.COMMIT_LOGGING, ctx, t);

            CommittedTransaction where = writeLog(t, ctx, head, next, layout);

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
                j.trace.endCommit(ctx, t, j.checkpoint.tailSequence());
                j.checkpoint.finished(t, ctx);
                j.waitDoneCommit.signalAll();
            } finally {
                j.lock.unlock();
            }
            return java.util.OptionalInt.of(t.tid());
        } catch (RuntimeException e) {
            throw j.ioFailed("commit of transaction " + t.tid(), e);
        }
    }

    /** The task a commit of {@code t} traces as: the jbd2 thread, under the trace of whoever asked for the commit. */
    private TraceContext contextOf(Transaction t) {
        return t.requestedBy == null ? j.thread : new TraceContext(t.requestedBy.traceId(), j.thread.task());
    }

    /** The context a commit of the running transaction traces in, or null when there is nothing to commit. */
    private TraceContext runningContext() {
        j.lock.lock();
        try {
            Transaction t = j.running;
            return t == null || t.state != TransactionState.T_RUNNING ? null : contextOf(t);
        } finally {
            j.lock.unlock();
        }
    }

    /** The 6.x JBD2_FLUSHED write: the log tail as a submission of its own, ahead of the commit. */
    private void updateSbLogTail() {
        j.ioLock.lock();
        try {
            j.io.run(j.writer::updateSbLogTailUnflushed);
        } finally {
            j.ioLock.unlock();
        }
    }

    /** JBD2_FLUSHED: the superblock still says "empty", so this commit writes the log tail before its log. */
    private boolean tailPending() {
        j.ioLock.lock();
        try {
            return j.writer.tailPending();
        } finally {
            j.ioLock.unlock();
        }
    }

    /**
     * The room the commit's log blocks need, made by a checkpoint if the log lacks it (the kernel makes it before
     * handles join, __jbd2_log_wait_for_space); returns j_head, where the commit's first log block goes.
     */
    private long makeRoom(LogBlocks layout) {
        j.ioLock.lock();
        try {
            if (j.writer.freeBlocks() < layout.total()) {
                j.checkpoint.doCheckpointLocked(true);
            }
            return j.writer.head();
        } finally {
            j.ioLock.unlock();
        }
    }

    /** jbd2_journal_next_log_block for {@code n} log blocks from {@code from}: each mapped; returns the next. */
    private long mapLogBlocks(TraceContext ctx, long from, int n) {
        long pos = from;
        for (int i = 0; i < n; i++) {
            j.bmap.jbd2_journal_bmap(ctx, pos);
            pos = j.writer.journal().next(pos);
        }
        return pos;
    }

    /**
     * T_COMMIT to T_COMMIT_JFLUSH: the descriptors and metadata copies mapped from {@code next} on, then the commit
     * block, all written through the ondisk writer from {@code head} (the revoke blocks first); then the t_forget pass.
     */
    private CommittedTransaction writeLog(Transaction t, TraceContext ctx, long head, long next, LogBlocks layout) {
        List<MetadataBlock> blocks = new ArrayList<>(t.buffers.size());
        for (Map.Entry<Long, byte[]> b : t.buffers.entrySet()) {
            blocks.add(new MetadataBlock(b.getKey(), b.getValue()));
        }
        long wall = j.time.currentTimeMillis();
        dev.ext4sim.ondisk.jbd2.Transaction logged = new dev.ext4sim.ondisk.jbd2.Transaction(blocks,
                List.copyOf(t.revoked), Math.floorDiv(wall, 1000), (int) Math.floorMod(wall, 1000) * 1_000_000);
        j.ioLock.lock();
        try {
            long commitBlock = mapLogBlocks(ctx, next, layout.descriptors() + layout.metadata());
            setStateLocked(t, TransactionState.T_COMMIT_DFLUSH);
            setStateLocked(t, TransactionState.T_COMMIT_JFLUSH);
            Runnable commitRecord;
            if (j.trace.tracer().profile().v6()) {
                // blk_finish_plug sends the log and the commit waits for it; then journal_submit_commit_record >
                // jbd2_journal_get_descriptor_buffer maps the commit block
                commitRecord = () -> {
                    j.io.finishPlug();
                    mapLogBlocks(ctx, commitBlock, 1);
                };
            } else {
                mapLogBlocks(ctx, commitBlock, 1);
                commitRecord = () -> {
                };
            }
            CommittedTransaction[] where = new CommittedTransaction[1];
            try {
                j.io.run(() -> where[0] = j.writer.commit(logged, commitRecord));
            } catch (JournalFullException full) {
                // __jbd2_log_wait_for_space: checkpoint to free the log, then write.
                j.checkpoint.doCheckpointLocked(true);
                j.io.run(() -> where[0] = j.writer.commit(logged, commitRecord));
            }
            if (where[0].startBlock() != head || where[0].length() != layout.total()) {
                throw new IllegalStateException("transaction " + t.tid() + " went to " + where[0] + ", not the "
                        + layout.total() + " log blocks from " + head + " it mapped");
            }
            j.lock.lock();
            try {
                j.checkpoint.commitForget(t, ctx);
            } finally {
                j.lock.unlock();
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
