package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.Be;

/**
 * {@code journal_header_t}: the 12 bytes that open every journal metadata block (descriptor, commit, revoke,
 * superblock). Recovery tells log blocks from stale or data blocks by the magic and the tid alone.
 */
public record JournalHeader(int blockType, int sequence) {
    public static final int MAGIC = 0xC03B3998;
    public static final int SIZE = 12;

    public static final int DESCRIPTOR_BLOCK = 1;
    public static final int COMMIT_BLOCK = 2;
    public static final int SUPERBLOCK_V1 = 3;
    public static final int SUPERBLOCK_V2 = 4;
    public static final int REVOKE_BLOCK = 5;

    /** True if {@code block} starts with the JBD2 magic: a log block, or a data block that must be escaped. */
    public static boolean hasMagic(byte[] block) {
        return Be.s32(block, 0) == MAGIC;
    }

    /** Reads the header of a block known to carry the magic. */
    public static JournalHeader read(byte[] block) {
        return new JournalHeader(Be.s32(block, 4), Be.s32(block, 8));
    }

    public void write(byte[] block) {
        Be.u32(block, 0, MAGIC);
        Be.u32(block, 4, blockType);
        Be.u32(block, 8, sequence);
    }

    static String typeName(int blockType) {
        return switch (blockType) {
            case DESCRIPTOR_BLOCK -> "descriptor block";
            case COMMIT_BLOCK -> "commit block";
            case SUPERBLOCK_V1 -> "superblock v1";
            case SUPERBLOCK_V2 -> "superblock v2";
            case REVOKE_BLOCK -> "revoke block";
            default -> "block of unknown type " + blockType;
        };
    }
}
