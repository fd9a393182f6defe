package dev.ext4sim.ondisk.jbd2;

import java.util.ArrayList;
import java.util.List;

/**
 * A descriptor block (blocktype 1): the tags of the log blocks that follow it, in order. A 16-byte UUID follows
 * every tag without SAME_UUID (the kernel writes it after the first tag only); the last tag has LAST_TAG; with
 * CSUM_V2/V3 the block ends in a checksum tail.
 */
public record DescriptorBlock(int tid, List<BlockTag> tags) {

    public DescriptorBlock {
        tags = List.copyOf(tags);
    }

    /**
     * Walks the tags as {@code count_tags} and the replay loop of {@code do_one_pass} do: until LAST_TAG or until
     * the next tag would run into the tail. The header is assumed checked by the caller.
     */
    public static DescriptorBlock decode(byte[] block, TagFormat f) {
        int tid = JournalHeader.read(block).sequence();
        List<BlockTag> tags = new ArrayList<>();
        int off = JournalHeader.SIZE;
        int limit = block.length - f.tailBytes();
        while (off + f.tagBytes() <= limit) {
            BlockTag tag = BlockTag.read(block, off, f);
            tags.add(tag);
            off += f.tagBytes();
            if (!tag.sameUuid()) {
                off += 16;
            }
            if (tag.lastTag()) {
                break;
            }
        }
        return new DescriptorBlock(tid, tags);
    }

    /**
     * The block as {@code jbd2_journal_commit_transaction} builds it: tags with their flags as given, the
     * journal UUID after each tag without SAME_UUID, the tail checksum over the result.
     */
    public byte[] encode(TagFormat f, byte[] uuid, int seed, int blockSize) {
        byte[] b = new byte[blockSize];
        new JournalHeader(JournalHeader.DESCRIPTOR_BLOCK, tid).write(b);
        int off = JournalHeader.SIZE;
        for (BlockTag tag : tags) {
            if (off + f.tagBytes() + (tag.sameUuid() ? 0 : 16) > blockSize - f.tailBytes()) {
                throw new IllegalArgumentException(tags.size() + " tags do not fit a descriptor of " + blockSize + " bytes");
            }
            tag.write(b, off, f);
            off += f.tagBytes();
            if (!tag.sameUuid()) {
                System.arraycopy(uuid, 0, b, off, 16);
                off += 16;
            }
        }
        if (f.tailBytes() > 0) {
            JournalChecksum.setBlockTail(seed, b);
        }
        return b;
    }
}
