package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.Be;
import dev.ext4sim.ondisk.Crc32c;

/**
 * The JBD2 checksums (v2/v3: crc32c), as {@code jbd2_superblock_csum}, {@code jbd2_descriptor_block_csum_set},
 * {@code jbd2_commit_block_csum_set} and {@code jbd2_block_tag_csum_set} compute them. All are raw seeded CRC32C
 * stored big-endian; all but the superblock start from the journal seed {@code crc32c(~0, s_uuid)}.
 */
public final class JournalChecksum {
    /** {@code struct jbd2_journal_block_tail}: the 4-byte checksum at the end of descriptor and revoke blocks. */
    public static final int TAIL_SIZE = 4;
    /** {@code h_chksum[0]} in {@code struct commit_header}. */
    static final int COMMIT_CHECKSUM_OFFSET = 0x10;

    private JournalChecksum() {
    }

    /** {@code j_csum_seed}. */
    public static int seed(byte[] uuid) {
        return Crc32c.update(Crc32c.SEED, uuid);
    }

    /** Over the 1024-byte superblock struct with {@code s_checksum} (0xFC) taken as zero. */
    public static int superblock(byte[] sb) {
        int crc = Crc32c.update(Crc32c.SEED, sb, 0, JournalSuperblock.CHECKSUM_OFFSET);
        crc = Crc32c.updateZeros(crc, 4);
        return Crc32c.update(crc, sb, JournalSuperblock.CHECKSUM_OFFSET + 4, JournalSuperblock.SIZE - JournalSuperblock.CHECKSUM_OFFSET - 4);
    }

    /** Descriptor and revoke blocks: the whole block with the tail taken as zero. */
    public static int blockTail(int seed, byte[] block) {
        int crc = Crc32c.update(seed, block, 0, block.length - TAIL_SIZE);
        return Crc32c.updateZeros(crc, TAIL_SIZE);
    }

    public static void setBlockTail(int seed, byte[] block) {
        Be.u32(block, block.length - TAIL_SIZE, blockTail(seed, block));
    }

    public static boolean verifyBlockTail(int seed, byte[] block) {
        return Be.s32(block, block.length - TAIL_SIZE) == blockTail(seed, block);
    }

    /** Commit block: the whole block with {@code h_chksum[0]} taken as zero. */
    public static int commit(int seed, byte[] block) {
        int crc = Crc32c.update(seed, block, 0, COMMIT_CHECKSUM_OFFSET);
        crc = Crc32c.updateZeros(crc, 4);
        return Crc32c.update(crc, block, COMMIT_CHECKSUM_OFFSET + 4, block.length - COMMIT_CHECKSUM_OFFSET - 4);
    }

    /** Data tag: the tid (big-endian) then the block as it sits in the log, i.e. after escaping. */
    public static int dataBlock(int seed, int tid, byte[] logCopy) {
        return Crc32c.update(Crc32c.updateBe32(seed, tid), logCopy);
    }
}
