package dev.ext4sim.ondisk.jbd2;

/**
 * Which of the four tag layouts a journal uses ({@code journal_tag_bytes}): {@code journal_block_tag3_t} (16
 * bytes) with CSUM_V3, otherwise {@code journal_block_tag_t} cut to 8 bytes, +4 with 64BIT, +2 with CSUM_V2.
 * In every layout the block number is at 0, the flags are the big-endian 16 bits at 6 and the high block
 * number at 8, which is how the kernel reads both layouts through one struct.
 */
public record TagFormat(boolean csumV3, boolean csumV2, boolean is64bit) {

    public int tagBytes() {
        if (csumV3) {
            return 16;
        }
        return 8 + (csumV2 ? 2 : 0) + (is64bit ? 4 : 0);
    }

    /** Descriptor and revoke blocks end in a 4-byte checksum tail with CSUM_V2/V3. */
    public int tailBytes() {
        return csumV3 || csumV2 ? JournalChecksum.TAIL_SIZE : 0;
    }

    /**
     * Tags one descriptor block takes, by the kernel's rule in {@code jbd2_journal_commit_transaction}: the first
     * tag carries the 16-byte UUID, and the descriptor is closed once the space left is below
     * {@code tag size + 16 + tail}.
     */
    public int tagsPerDescriptor(int blockSize) {
        int spaceLeft = blockSize - JournalHeader.SIZE;
        int n = 0;
        boolean first = true;
        do {
            spaceLeft -= tagBytes() + (first ? 16 : 0);
            first = false;
            n++;
        } while (spaceLeft >= tagBytes() + 16 + tailBytes());
        return n;
    }
}
