package dev.ext4sim.ondisk.jbd2;

import java.util.List;
import java.util.OptionalInt;

/**
 * What {@link Recovery} did, in the terms of {@code struct recovery_info}.
 *
 * @param startTid           {@code s_sequence} at the start: the first transaction looked at
 * @param endTid             first transaction not replayed ({@code end_transaction})
 * @param nextTid            {@code s_sequence} written back (e2fsck: endTid + 1, or unchanged after an error)
 * @param blocksReplayed     tags written home ({@code nr_replays}; a block logged twice counts twice)
 * @param blocksRevoked      tags skipped because a revoke covered them ({@code nr_revoke_hits})
 * @param revokeRecords      revoke records read ({@code nr_revokes})
 * @param homeBlocksWritten  distinct home blocks written
 * @param failedCommit       tid whose commit block was corrupt (replay stopped before it), as e2fsck's
 *                           "Journal transaction N was corrupt, replay was aborted."
 * @param errors             recovery errors (data blocks whose checksum failed and were not written); non-empty
 *                           means the kernel and e2fsck would report recovery as failed
 */
public record RecoveryResult(int startTid, int endTid, int nextTid, long blocksReplayed, long blocksRevoked,
                             long revokeRecords, long homeBlocksWritten, OptionalInt failedCommit, List<String> errors) {
    public RecoveryResult {
        errors = List.copyOf(errors);
    }

    public int transactionsReplayed() {
        return endTid - startTid;
    }

    public boolean clean() {
        return errors.isEmpty() && failedCommit.isEmpty();
    }
}
