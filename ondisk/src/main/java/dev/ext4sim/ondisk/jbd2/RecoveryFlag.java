package dev.ext4sim.ondisk.jbd2;

/**
 * The filesystem side of recovery: once the journal is replayed and marked empty, the ext4 superblock's
 * needs_recovery flag (INCOMPAT_RECOVER, 0x4) must be cleared, as {@code e2fsck_clear_recover} and ext4's
 * {@code ext4_clear_journal_err}/mount do. The ext4 codecs own that superblock, so they implement this.
 *
 * <p>e2fsck also marks the filesystem not clean when recovery reported errors ({@link RecoveryResult#errors()})
 * and sets EXT2_ERROR_FS when a commit was corrupt ({@link RecoveryResult#failedCommit()}); an implementation that
 * wants to match it does the same.
 */
@FunctionalInterface
public interface RecoveryFlag {
    /** Called after the replayed blocks and the journal superblock are durable. */
    void clearNeedsRecovery(RecoveryResult result);

    /** For callers that clear the flag themselves from the returned result. */
    RecoveryFlag NONE = result -> { };
}
