package dev.ext4sim.ondisk.jbd2;

import java.util.List;
import java.util.function.Consumer;

/**
 * Appends transactions to the log, checkpoints them and shuts the journal down cleanly: the on-disk half of
 * fs/jbd2 commit.c, checkpoint.c and journal.c. The write order is the kernel's:
 *
 * <ol>
 *   <li>before the first commit after load: the superblock with the log tail ({@code s_start} = {@code s_first},
 *       {@code s_sequence} = first tid), flushed ({@code JBD2_FLUSHED} in {@code jbd2_journal_commit_transaction});</li>
 *   <li>the revoke, descriptor and data blocks;</li>
 *   <li>with {@link WriteBarrier#ON}, a flush (PREFLUSH);</li>
 *   <li>the commit block, last;</li>
 *   <li>with {@link WriteBarrier#ON}, a flush (FUA).</li>
 * </ol>
 *
 * A checkpoint writes the journaled blocks home, flushes, and only then rewrites the superblock tail (flushed).
 * Not thread-safe.
 */
public final class JournalWriter {
    private final Journal journal;
    private final WriteBarrier barrier;
    private final Checkpoint checkpoint = new Checkpoint();
    private long head;
    private long tail;
    private int tailTid;
    private int nextTid;
    /** The superblock still says "empty" ({@code s_start = 0}); the tail must be written before the first commit. */
    private boolean sbTailPending;
    private boolean closed;

    private JournalWriter(Journal journal, WriteBarrier barrier) {
        this.journal = journal;
        this.barrier = barrier;
        JournalSuperblock sb = journal.superblock();
        // jbd2_journal_recover on an empty journal: the next tid is s_sequence + 1; journal_reset starts the log at
        // s_first with the tail there too.
        this.nextTid = sb.sequence() + 1;
        this.head = sb.first();
        this.tail = sb.first();
        this.tailTid = nextTid;
        this.sbTailPending = true;
    }

    /**
     * {@code jbd2_journal_load} for writing: the journal must be empty (recovered or cleanly shut down), and the
     * features in {@code incompat} (see {@link JournalFeatures#incompatFor}) are added to the superblock if
     * missing, as ext4 does at mount through {@code jbd2_journal_set_features}.
     */
    public static JournalWriter open(JournalArea area, int incompat, WriteBarrier barrier) {
        if ((incompat & ~JournalFeatures.SUPPORTED_INCOMPAT) != 0) {
            throw new IllegalArgumentException("cannot write a journal with incompat features "
                    + JournalFeatures.describeIncompat(incompat & ~JournalFeatures.SUPPORTED_INCOMPAT));
        }
        Journal journal = Journal.load(area);
        JournalSuperblock sb = journal.superblock();
        if (sb.start() != 0) {
            throw new IllegalStateException("journal needs recovery (s_start = " + sb.start() + ", s_sequence = "
                    + Integer.toUnsignedString(sb.sequence()) + "); run Recovery before writing");
        }
        int csumBits = JournalFeatures.INCOMPAT_CSUM_V2 | JournalFeatures.INCOMPAT_CSUM_V3;
        int wanted = sb.featureIncompat() | incompat;
        if ((incompat & csumBits) != 0) {
            // ext4_set_journal_csum_feature_set clears the other checksum version: v2 and v3 never coexist.
            wanted = (wanted & ~csumBits) | (incompat & csumBits);
        }
        if (wanted != sb.featureIncompat()) {
            journal.writeSuperblock(sb.withIncompat(wanted));
        }
        return new JournalWriter(journal, barrier);
    }

    public Journal journal() {
        return journal;
    }

    /** The tid the next commit gets. */
    public int nextTid() {
        return nextTid;
    }

    /** Where the next transaction starts in the log ({@code j_head}). */
    public long head() {
        return head;
    }

    /** Start of the oldest transaction not yet checkpointed ({@code j_tail}). */
    public long tail() {
        return tail;
    }

    /**
     * The superblock says "empty" and the next commit writes the log tail first: the kernel's {@code JBD2_FLUSHED},
     * which makes {@code jbd2_journal_commit_transaction} update the superblock before {@code jbd2_start_commit}.
     */
    public boolean tailPending() {
        return sbTailPending;
    }

    /** Log blocks usable by transactions: [s_first, s_maxlen). */
    public long capacity() {
        return journal.superblock().maxlen() - journal.superblock().first();
    }

    public long freeBlocks() {
        return capacity() - checkpoint.logBlocksInUse();
    }

    /**
     * Where the writer tells {@link #setPoints} it stands, for a crash test to stop the process there (jbd2-service's
     * crash points of the same names).
     */
    public static final String COMMIT_LOGGING = "jbd2.commit.T_COMMIT";
    public static final String CHECKPOINT_WRITTEN_HOME = "jbd2.checkpoint.written_home";
    public static final String WRITE_SUPERBLOCK = "jbd2.write_superblock";

    private Consumer<String> points = point -> {
    };

    /** Told {@link #COMMIT_LOGGING}, {@link #CHECKPOINT_WRITTEN_HOME} and {@link #WRITE_SUPERBLOCK} as they are reached. */
    public void setPoints(Consumer<String> points) {
        this.points = java.util.Objects.requireNonNull(points);
    }

    /**
     * {@code JBD2_FLUSHED} as 6.x's {@code jbd2_journal_commit_transaction} handles it, ahead of the commit: the log
     * tail written with no flush ({@code jbd2_journal_update_sb_log_tail(.., 0)}; the commit block's PREFLUSH makes
     * it durable). Nothing is written when the superblock holds the tail already.
     */
    public void updateSbLogTailUnflushed() {
        checkOpen();
        if (!sbTailPending) {
            return;
        }
        points.accept(WRITE_SUPERBLOCK);
        journal.updateSbLogTailUnflushed(tailTid, tail);
        sbTailPending = false;
    }

    /**
     * Writes {@code t} as the next transaction and returns where it went. Throws {@link JournalFullException}
     * (nothing written) if it does not fit the free log space.
     */
    public CommittedTransaction commit(Transaction t) {
        return commit(t, () -> {
        });
    }

    /**
     * As {@link #commit(Transaction)}, running {@code beforeCommitRecord} once the revoke, descriptor and data blocks
     * are written and before the barrier flush and the commit block: where {@code journal_submit_commit_record}
     * starts, after {@code blk_finish_plug} sent the log and the commit waited for it.
     */
    public CommittedTransaction commit(Transaction t, Runnable beforeCommitRecord) {
        checkOpen();
        int tid = nextTid;
        TransactionLayout layout = Commit.layout(journal.superblock(), tid, t);
        if (layout.length() > capacity()) {
            throw new JournalFullException("transaction " + Integer.toUnsignedString(tid) + " needs " + layout.length()
                    + " log blocks, more than the whole log of " + capacity() + "; split it");
        }
        if (layout.length() > freeBlocks()) {
            throw new JournalFullException("transaction " + Integer.toUnsignedString(tid) + " needs " + layout.length()
                    + " log blocks but only " + freeBlocks() + " of " + capacity() + " are free; checkpoint first");
        }
        if (sbTailPending) {
            points.accept(WRITE_SUPERBLOCK);
            journal.updateSbLogTail(tailTid, tail);
            sbTailPending = false;
        }
        long start = head;
        long pos = head;
        List<byte[]> logBlocks = layout.logBlocks();
        // the descriptor and at least one metadata block, about half the log blocks, before the point
        int beforePoint = Math.min(logBlocks.size(), Math.max(2, logBlocks.size() / 2));
        for (int i = 0; i < logBlocks.size(); i++) {
            journal.area().writeJournal(pos, logBlocks.get(i));
            pos = journal.next(pos);
            if (i == beforePoint - 1) {
                points.accept(COMMIT_LOGGING);
            }
        }
        beforeCommitRecord.run();
        if (barrier == WriteBarrier.ON) {
            journal.area().flush();
        }
        long commitAt = pos;
        journal.area().writeJournal(commitAt, layout.commitBlock());
        pos = journal.next(pos);
        if (barrier == WriteBarrier.ON) {
            journal.area().flush();
        }
        CommittedTransaction where = new CommittedTransaction(tid, start, layout.length(), commitAt,
                layout.descriptors(), layout.revokeBlocks());
        checkpoint.add(where, t);
        head = pos;
        nextTid = tid + 1;
        return where;
    }

    /**
     * The committed contents of home block {@code home} that a checkpoint would write (a copy), or null when no
     * transaction still in the log holds it: what the block device's page cache holds for an exposed buffer.
     */
    public byte[] committedCopy(long home) {
        byte[] b = checkpoint.newestCopy(home);
        return b == null ? null : b.clone();
    }

    /**
     * Writes every committed block home, flushes, then moves the tail to the head ({@code jbd2_log_do_checkpoint}
     * + {@code jbd2_cleanup_journal_tail}). Returns the number of home blocks written.
     */
    public int checkpoint() {
        checkOpen();
        if (checkpoint.isEmpty()) {
            return 0;
        }
        int written = checkpoint.writeAllHome(journal.area());
        points.accept(CHECKPOINT_WRITTEN_HOME);
        tail = head;
        tailTid = nextTid;
        points.accept(WRITE_SUPERBLOCK);
        journal.updateSbLogTail(tailTid, tail);
        return written;
    }

    /**
     * The end of {@code jbd2_journal_flush}: once every transaction is checkpointed, {@code jbd2_mark_journal_empty}
     * ({@code s_start = 0}, so nothing is left to replay); the next commit writes the tail again first, as
     * {@code JBD2_FLUSHED} makes the kernel's. Returns false, writing nothing, while a transaction still waits for
     * its checkpoint (one committed after the flush's checkpoint) or when the superblock says "empty" already.
     */
    public boolean markEmptyIfCheckpointed() {
        checkOpen();
        if (!checkpoint.isEmpty() || sbTailPending) {
            return false;
        }
        points.accept(WRITE_SUPERBLOCK);
        journal.markJournalEmpty(nextTid);
        sbTailPending = true;
        return true;
    }

    /** Clean unmount ({@code jbd2_journal_destroy}): checkpoint all, then {@code s_start = 0}, {@code s_sequence} = next tid. */
    public void shutdown() {
        checkOpen();
        checkpoint();
        // jbd2_mark_journal_empty leaves a superblock that already says "empty" alone: nothing was committed.
        if (!sbTailPending) {
            journal.markJournalEmpty(nextTid);
        }
        closed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("journal writer was shut down");
        }
    }
}
