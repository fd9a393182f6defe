package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.Be;

/**
 * A commit block (blocktype 2, {@code struct commit_header}). With CSUM_V2/V3 {@code h_chksum_type} and
 * {@code h_chksum_size} stay 0 and {@code h_chksum[0]} holds the block checksum. The commit time lets recovery
 * tell a stale block (older than the previous commit) from a corrupt one.
 */
public record CommitBlock(int tid, long commitSec, int commitNsec) {
    static final int CHKSUM_TYPE = 0x0C;
    static final int CHKSUM_SIZE = 0x0D;
    static final int COMMIT_SEC = 0x30;
    static final int COMMIT_NSEC = 0x38;

    /** {@code journal_submit_commit_record}. */
    public byte[] encode(boolean csumV2or3, int seed, int blockSize) {
        byte[] b = new byte[blockSize];
        new JournalHeader(JournalHeader.COMMIT_BLOCK, tid).write(b);
        Be.u64(b, COMMIT_SEC, commitSec);
        Be.u32(b, COMMIT_NSEC, commitNsec);
        if (csumV2or3) {
            Be.u32(b, JournalChecksum.COMMIT_CHECKSUM_OFFSET, JournalChecksum.commit(seed, b));
        }
        return b;
    }

    public static CommitBlock decode(byte[] block) {
        return new CommitBlock(JournalHeader.read(block).sequence(), Be.u64(block, COMMIT_SEC), Be.s32(block, COMMIT_NSEC));
    }

    /** {@code jbd2_commit_block_csum_verify}: true when checksums are off. */
    public static boolean verify(byte[] block, boolean csumV2or3, int seed) {
        return !csumV2or3 || Be.s32(block, JournalChecksum.COMMIT_CHECKSUM_OFFSET) == JournalChecksum.commit(seed, block);
    }
}
