package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.Be;

import java.util.ArrayList;
import java.util.List;

/**
 * A revoke block (blocktype 5, {@code jbd2_journal_revoke_header_t}): {@code r_count} = bytes used including
 * the 16-byte header, then BE32 (BE64 with 64BIT) home block numbers, then the checksum tail with CSUM_V2/V3.
 */
public record RevokeBlock(int tid, List<Long> blocks) {
    public static final int HEADER_SIZE = 16;

    public RevokeBlock {
        blocks = List.copyOf(blocks);
    }

    public static int recordBytes(boolean is64bit) {
        return is64bit ? 8 : 4;
    }

    /** Records one block takes ({@code write_one_revoke_record} starts a new block when the next would not fit). */
    public static int capacity(TagFormat f, int blockSize) {
        return (blockSize - f.tailBytes() - HEADER_SIZE) / recordBytes(f.is64bit());
    }

    public byte[] encode(TagFormat f, int seed, int blockSize) {
        if (blocks.size() > capacity(f, blockSize)) {
            throw new IllegalArgumentException(blocks.size() + " revoke records do not fit a block of " + blockSize);
        }
        byte[] b = new byte[blockSize];
        new JournalHeader(JournalHeader.REVOKE_BLOCK, tid).write(b);
        int off = HEADER_SIZE;
        for (long nr : blocks) {
            if (f.is64bit()) {
                Be.u64(b, off, nr);
            } else {
                Be.u32(b, off, nr);
            }
            off += recordBytes(f.is64bit());
        }
        Be.u32(b, 12, off);
        if (f.tailBytes() > 0) {
            JournalChecksum.setBlockTail(seed, b);
        }
        return b;
    }

    /**
     * The records as {@code scan_revoke_records} reads them. Returns null if {@code r_count} runs into the tail or
     * past the block ({@code -EINVAL} in the kernel); the caller names the block.
     */
    public static RevokeBlock decode(byte[] block, TagFormat f) {
        long rcount = Be.u32(block, 12);
        if (rcount > block.length - f.tailBytes()) {
            return null;
        }
        int len = recordBytes(f.is64bit());
        List<Long> blocks = new ArrayList<>();
        for (int off = HEADER_SIZE; off + len <= rcount; off += len) {
            blocks.add(f.is64bit() ? Be.u64(block, off) : Be.u32(block, off));
        }
        return new RevokeBlock(JournalHeader.read(block).sequence(), blocks);
    }
}
