package dev.ext4sim.jbd2.journal;

import dev.ext4sim.ondisk.jbd2.JournalSuperblock;
import dev.ext4sim.ondisk.jbd2.RevokeBlock;
import dev.ext4sim.ondisk.jbd2.TagFormat;

/**
 * The log blocks one commit takes, in the order jbd2_journal_commit_transaction takes them: revoke blocks, then the
 * descriptors with the metadata copies they describe, then the commit block. The counts are those of the ondisk
 * layout ({@code dev.ext4sim.ondisk.jbd2.Commit}): as many revoke records and tags per block as fit.
 */
record LogBlocks(int revoke, int descriptors, int metadata) {
    static LogBlocks of(JournalSuperblock sb, int revoked, int metadata) {
        TagFormat f = sb.tagFormat();
        int bs = sb.blockSize();
        return new LogBlocks(Math.ceilDiv(revoked, RevokeBlock.capacity(f, bs)),
                Math.ceilDiv(metadata, f.tagsPerDescriptor(bs)), metadata);
    }

    /** All of them, the commit block included: run stats' blocks_logged. */
    int total() {
        return revoke + descriptors + metadata + 1;
    }
}
