package dev.ext4sim.jbd2.journal;

import dev.ext4sim.bus.crash.CrashPoints;
import dev.ext4sim.ondisk.jbd2.JournalWriter;
import java.util.List;

/**
 * Where jbd2-service can be made to die in a commit, a checkpoint or a journal superblock write: each point names
 * the step of jbd2_journal_commit_transaction, jbd2_log_do_checkpoint or jbd2_write_superblock it interrupts.
 */
public final class Jbd2CrashPoints {
    public static final String COMMIT_LOCKED = "jbd2.commit.T_LOCKED";
    public static final String COMMIT_FLUSH = "jbd2.commit.T_FLUSH";
    public static final String COMMIT_LOGGING = JournalWriter.COMMIT_LOGGING;
    public static final String COMMIT_RECORD_WRITTEN = "jbd2.commit.commit_block_written";
    public static final String CHECKPOINT_WRITTEN_HOME = JournalWriter.CHECKPOINT_WRITTEN_HOME;
    public static final String WRITE_SUPERBLOCK = JournalWriter.WRITE_SUPERBLOCK;

    public static final List<CrashPoints.Point> POINTS = List.of(
            new CrashPoints.Point(COMMIT_LOCKED, "the transaction is T_LOCKED: new handles wait, nothing is written"),
            new CrashPoints.Point(COMMIT_FLUSH, "T_FLUSH: the ordered data is asked of ext4-service, its answer not awaited"),
            new CrashPoints.Point(COMMIT_LOGGING, "T_COMMIT: the descriptor and some metadata blocks are on the device, "
                    + "the commit block is not (recovery discards the transaction)"),
            new CrashPoints.Point(COMMIT_RECORD_WRITTEN, "the commit block is written (PREFLUSH|FUA), the transaction is "
                    + "not T_FINISHED and its waiters are not woken (recovery replays it; the fsync never returned)"),
            new CrashPoints.Point(CHECKPOINT_WRITTEN_HOME, "a checkpoint wrote the metadata home and flushed, the log "
                    + "tail has not moved (recovery replays it again)"),
            new CrashPoints.Point(WRITE_SUPERBLOCK, "instead of a journal superblock write (the tail or the empty mark): "
                    + "what was written before it is on the device"));

    private Jbd2CrashPoints() {
    }

    /** The commit's states that are crash points. */
    static void onCommitState(CrashPoints points, Commit.StateChange change) {
        switch (change.state()) {
            case T_LOCKED -> points.hit(COMMIT_LOCKED);
            case T_COMMIT_CALLBACK -> points.hit(COMMIT_RECORD_WRITTEN);
            default -> {
            }
        }
    }
}
