package dev.ext4sim.ondisk.jbd2;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What one commit puts in the log: metadata blocks (in order; a home block at most once), home blocks revoked by
 * this transaction (freed blocks whose older journaled copies must not be replayed) and the commit time written
 * into the commit block. The time is given, never read from a clock here.
 */
public record Transaction(List<MetadataBlock> blocks, List<Long> revoked, long commitSec, int commitNsec) {

    public Transaction {
        blocks = List.copyOf(blocks);
        revoked = List.copyOf(revoked);
        Set<Long> homes = new HashSet<>();
        for (MetadataBlock b : blocks) {
            if (!homes.add(b.home())) {
                throw new IllegalArgumentException("home block " + b.home() + " journaled twice in one transaction");
            }
        }
        for (long r : revoked) {
            // The kernel cancels a revoke when the block is journaled again in the same transaction
            // (jbd2_journal_cancel_revoke); asking for both is a caller bug, and replay would skip the block.
            if (homes.contains(r)) {
                throw new IllegalArgumentException("home block " + r + " both journaled and revoked in one transaction");
            }
        }
        if (commitNsec < 0 || commitNsec >= 1_000_000_000) {
            throw new IllegalArgumentException("commit nanoseconds " + commitNsec + " outside [0, 1e9)");
        }
    }

    public static Transaction of(List<MetadataBlock> blocks, List<Long> revoked, Instant commitTime) {
        return new Transaction(blocks, revoked, commitTime.getEpochSecond(), commitTime.getNano());
    }
}
