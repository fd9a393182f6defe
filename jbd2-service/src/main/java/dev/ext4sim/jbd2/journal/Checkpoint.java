package dev.ext4sim.jbd2.journal;

import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.trace.TraceContext;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * fs/jbd2/checkpoint.c: the committed transactions still in the log, each with its checkpoint list (the home blocks
 * it still has to write). A home block is on the list of the newest transaction that logged it: when a commit logs
 * or revokes a block an older transaction still holds, the commit takes it off that list
 * ({@code __jbd2_journal_remove_checkpoint} from the commit's t_forget pass), and an older transaction left with
 * nothing to write is dropped there and then: jbd2_checkpoint_stats, then jbd2_drop_transaction. A transaction that
 * commits with nothing to write is dropped at the end of its own commit (jbd2_drop_transaction only).
 *
 * <p>A dropped transaction stays in the log until the tail passes it; {@link #jbd2_log_do_checkpoint} is what moves
 * the tail. It writes the newest copy of every block still on a list home, flushes, and moves the log tail (the
 * journal superblock is rewritten and flushed) — the ondisk writer does the I/O in that order — then frees each
 * transaction still listed: jbd2_checkpoint_stats, then jbd2_drop_transaction. It runs when committed metadata has
 * aged {@code checkpointAge}, when the log runs low on space (before and after a commit), and at flush.
 */
final class Checkpoint {
    private final Journal j;
    /** The transactions between the log tail and head, oldest first: j_checkpoint_transactions and the dropped. */
    private final Deque<Entry> list = new ArrayDeque<>();
    /** b_cp_transaction of each home block on a checkpoint list. */
    private final Map<Long, Entry> owner = new HashMap<>();
    private Scheduler.Cancellable timer;

    private static final class Entry {
        final int tid;
        final boolean synchronousCommit;
        /** t_checkpoint_list: the home blocks this transaction still has to write. */
        final Set<Long> homes = new LinkedHashSet<>();
        /** t_chp_stats.cs_dropped: blocks a newer commit took over. */
        int dropped;
        /** __jbd2_journal_drop_transaction ran: nothing left to write, only the log space is still held. */
        boolean gone;

        Entry(int tid, boolean synchronousCommit) {
            this.tid = tid;
            this.synchronousCommit = synchronousCommit;
        }
    }

    Checkpoint(Journal j) {
        this.j = j;
    }

    /**
     * The checkpoint half of jbd2_journal_commit_transaction for {@code t}, whose log is durable: its t_forget pass
     * ({@code t}'s revoked blocks in the order revoked, then its logged blocks in the reverse of the order they were
     * logged) takes each block off an older transaction's list, dropping one that is left empty; then {@code t}
     * joins the list with the blocks it logged, each refiled as it goes. State lock held.
     */
    void commitForget(Transaction t, TraceContext ctx) {
        Entry mine = new Entry(t.tid(), t.synchronousCommit());
        for (long home : t.revoked) {
            removeCheckpoint(home, ctx);
        }
        List<Long> logged = new ArrayList<>(t.buffers.keySet());
        for (int i = logged.size() - 1; i >= 0; i--) {
            long home = logged.get(i);
            removeCheckpoint(home, ctx);
            mine.homes.add(home); // __jbd2_journal_insert_checkpoint
            owner.put(home, mine);
            __jbd2_journal_refile_buffer(home, ctx);
        }
        list.addLast(mine);
        // 6.x: the flusher writes the exposed buffers home (Journal#blkdev_writepages), no timed checkpoint
        if (!mine.homes.isEmpty() && timer == null && !j.trace.tracer().profile().v6()) {
            timer = j.scheduler.schedule(j.config.checkpointAge(), () -> {
                j.lock.lock();
                try {
                    timer = null;
                    j.checkpointDue = true;
                    j.waitCommit.signalAll();
                } finally {
                    j.lock.unlock();
                }
            });
        }
    }

    /**
     * {@code __jbd2_journal_clean_checkpoint_list} at the start of {@code committing}'s commit (after the updates
     * drained): oldest first, each transaction's home blocks that are clean (written back by the flusher, and
     * journaled by no transaction: jbd2_journal_try_remove_checkpoint) leave its list; one left empty is dropped
     * (jbd2_checkpoint_stats with nothing written, then jbd2_drop_transaction); the scan stops at the first
     * transaction that keeps a busy block. State lock held.
     */
    void cleanCheckpointList(TraceContext ctx) {
        for (Entry e : list) {
            if (e.gone) {
                continue;
            }
            var it = e.homes.iterator();
            while (it.hasNext()) {
                long home = it.next();
                if (j.bdev.isDirty(home) || j.journaledAgain(home)) {
                    break;
                }
                it.remove();
                owner.remove(home);
            }
            if (!e.homes.isEmpty()) {
                return;
            }
            e.gone = true;
            j.trace.checkpointStats(ctx, e.tid, 0, 0, 0, e.dropped);
            j.trace.dropTransaction(ctx, e.tid, e.synchronousCommit);
        }
    }

    /**
     * The end of jbd2_journal_commit_transaction, once {@code t} is T_FINISHED: a transaction with nothing to
     * checkpoint is dropped at once (__jbd2_journal_drop_transaction, no checkpoint stats). State lock held.
     */
    void finished(Transaction t, TraceContext ctx) {
        Entry e = list.peekLast();
        if (e != null && e.tid == t.tid() && e.homes.isEmpty() && !e.gone) {
            e.gone = true;
            j.trace.dropTransaction(ctx, e.tid, e.synchronousCommit);
        }
    }

    /**
     * __jbd2_journal_refile_buffer of a committed buffer: one the running transaction has dirtied again
     * (b_next_transaction) keeps its jbddirty bit and moves to it; any other is unfiled, and
     * __jbd2_journal_temp_unlink_buffer turns jbddirty into a mark_buffer_dirty, handing the home block to the VM.
     */
    private void __jbd2_journal_refile_buffer(long home, TraceContext ctx) {
        if (j.running != null && j.running.buffers.containsKey(home)) {
            return;
        }
        j.bdev.mark_buffer_dirty(ctx, home);
    }

    /** __jbd2_journal_remove_checkpoint of {@code home} from the older transaction holding it, if one does. */
    private void removeCheckpoint(long home, TraceContext ctx) {
        Entry cp = owner.remove(home);
        if (cp == null) {
            return;
        }
        cp.dropped++;
        cp.homes.remove(home);
        if (cp.homes.isEmpty()) {
            // no checkpoint pass started on it, so cs_chp_time is 0; nothing was written or forced
            cp.gone = true;
            j.trace.checkpointStats(ctx, cp.tid, 0, 0, 0, cp.dropped);
            j.trace.dropTransaction(ctx, cp.tid, cp.synchronousCommit);
        }
    }

    /** j_tail_sequence: the oldest transaction still in the log, or the next tid when the log is empty. */
    int tailSequence() {
        return list.isEmpty() ? j.commitSequence + 1 : list.getFirst().tid;
    }

    /** Transactions that still have blocks to write home. */
    int transactions() {
        j.lock.lock();
        try {
            return (int) list.stream().filter(e -> !e.gone).count();
        } finally {
            j.lock.unlock();
        }
    }

    /** True when the log has less room than one full transaction needs (jbd2_log_space_left &lt; jbd2_space_needed). */
    boolean lowOnSpace() {
        return j.writer.freeBlocks() < j.maxTransactionBuffers + 32L;
    }

    /** {@code jbd2_log_do_checkpoint}. Returns the number of home blocks written. */
    int jbd2_log_do_checkpoint(boolean forced) {
        j.ioLock.lock();
        try {
            return doCheckpointLocked(forced);
        } finally {
            j.ioLock.unlock();
        }
    }

    /** With the I/O lock held (the commit calls it when the log is full). */
    int doCheckpointLocked(boolean forced) {
        j.lock.lock();
        try {
            j.checkAborted();
            if (timer != null) {
                timer.cancel();
                timer = null;
            }
            j.checkpointDue = false;
            if (list.isEmpty()) {
                return 0;
            }
        } finally {
            j.lock.unlock();
        }
        long started = j.time.nanoTime();
        int written;
        try {
            int[] w = new int[1];
            j.io.run(() -> w[0] = j.writer.checkpoint());
            written = w[0];
        } catch (RuntimeException e) {
            throw j.ioFailed("checkpoint", e);
        }
        long chpTime = j.config.jiffiesToMsecs(j.config.jiffies(j.time.nanoTime()) - j.config.jiffies(started));
        int freed = 0;
        j.lock.lock();
        try {
            j.trace.checkpoint(j.thread, 0);
            // the home copies are written: what the block device's flusher does to the exposed buffers
            j.bdev.writtenBack();
            // every block still on a list went home; the log tail is past every transaction
            for (Entry e : list) {
                if (!e.gone) {
                    j.trace.checkpointStats(j.thread, e.tid, chpTime, forced ? 1 : 0, e.homes.size(), e.dropped);
                    j.trace.dropTransaction(j.thread, e.tid, e.synchronousCommit);
                    freed++;
                }
            }
            list.clear();
            owner.clear();
        } finally {
            j.lock.unlock();
        }
        j.listener.checkpointed(freed, written, forced);
        return written;
    }

    static Duration age(long fromNanos, long toNanos) {
        return Duration.ofNanos(toNanos - fromNanos);
    }
}
