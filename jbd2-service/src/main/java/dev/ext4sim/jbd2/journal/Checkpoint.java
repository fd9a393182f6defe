package dev.ext4sim.jbd2.journal;

import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.ondisk.jbd2.CommittedTransaction;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

/**
 * fs/jbd2/checkpoint.c: the checkpoint list of committed transactions whose metadata is in the log but not yet at
 * home. {@link #jbd2_log_do_checkpoint} writes the newest copy of every such block home, flushes, and moves the
 * log tail (the journal superblock is rewritten and flushed) — the ondisk writer does the I/O in that order — and
 * then frees each transaction: jbd2_checkpoint_stats, then jbd2_drop_transaction. It runs when committed metadata
 * has aged {@code checkpointAge}, when the log runs low on space (before and after a commit), and at flush.
 */
final class Checkpoint {
    private final Journal j;
    private final Deque<Entry> list = new ArrayDeque<>();
    private Scheduler.Cancellable timer;

    private record Entry(int tid, Set<Long> homes, Set<Long> revoked, long committedNanos, int logBlocks) {
    }

    Checkpoint(Journal j) {
        this.j = j;
    }

    /** __jbd2_journal_insert_checkpoint for a finished transaction; arms the age timer. State lock held. */
    void add(Transaction t, CommittedTransaction where, long nowNanos) {
        list.addLast(new Entry(t.tid(), new HashSet<>(t.buffers.keySet()), new HashSet<>(t.revoked), nowNanos, where.length()));
        if (timer == null) {
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

    /** j_tail_sequence: the oldest transaction still in the log, or the next tid when the log is empty. */
    int tailSequence() {
        return list.isEmpty() ? j.commitSequence + 1 : list.getFirst().tid();
    }

    int transactions() {
        j.lock.lock();
        try {
            return list.size();
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
        Deque<Entry> entries;
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
            entries = new ArrayDeque<>(list);
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
        j.lock.lock();
        try {
            j.trace.checkpoint(j.thread, 0);
            // Which transaction's copy went home: the newest one of each block, unless a later revoke freed it.
            Set<Long> seen = new HashSet<>();
            int[] writtenPer = new int[entries.size()];
            int[] droppedPer = new int[entries.size()];
            int i = entries.size() - 1;
            for (Iterator<Entry> it = entries.descendingIterator(); it.hasNext(); i--) {
                Entry e = it.next();
                for (long home : e.homes()) {
                    if (seen.add(home)) {
                        writtenPer[i]++;
                    } else {
                        droppedPer[i]++;
                    }
                }
                seen.addAll(e.revoked());
            }
            i = 0;
            for (Entry e : entries) {
                j.trace.checkpointStats(j.thread, e.tid(), chpTime, forced ? 1 : 0, writtenPer[i], droppedPer[i]);
                j.trace.dropTransaction(j.thread, e.tid());
                list.removeFirst();
                i++;
            }
        } finally {
            j.lock.unlock();
        }
        j.listener.checkpointed(entries.size(), written, forced);
        return written;
    }

    static Duration age(long fromNanos, long toNanos) {
        return Duration.ofNanos(toNanos - fromNanos);
    }
}
