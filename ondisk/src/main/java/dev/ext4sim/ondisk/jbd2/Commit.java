package dev.ext4sim.ondisk.jbd2;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds the log image of a transaction, as {@code jbd2_journal_commit_transaction} (fs/jbd2/commit.c) does:
 * revoke records first ({@code jbd2_journal_write_revoke_records}, in T_FLUSH), then descriptors and escaped
 * copies of the metadata (T_COMMIT), then the commit block ({@code journal_submit_commit_record}). Pure: the
 * writer decides where the blocks go and when they are flushed.
 */
public final class Commit {
    private Commit() {
    }

    public static TransactionLayout layout(JournalSuperblock sb, int tid, Transaction t) {
        TagFormat f = sb.tagFormat();
        int bs = sb.blockSize();
        int seed = sb.csumV2or3() ? sb.csumSeed() : 0;
        List<byte[]> out = new ArrayList<>();

        int revokeBlocks = writeRevokeRecords(sb, f, seed, tid, t.revoked(), out);

        int perDescriptor = f.tagsPerDescriptor(bs);
        List<MetadataBlock> blocks = t.blocks();
        int descriptors = 0;
        for (int from = 0; from < blocks.size(); from += perDescriptor) {
            List<MetadataBlock> chunk = blocks.subList(from, Math.min(blocks.size(), from + perDescriptor));
            List<BlockTag> tags = new ArrayList<>(chunk.size());
            List<byte[]> copies = new ArrayList<>(chunk.size());
            for (int i = 0; i < chunk.size(); i++) {
                MetadataBlock mb = chunk.get(i);
                if (mb.dataNoCopy().length != bs) {
                    throw new IllegalArgumentException("block for home " + mb.home() + " has " + mb.dataNoCopy().length
                            + " bytes, the journal block size is " + bs);
                }
                if (!f.is64bit() && mb.home() > 0xFFFFFFFFL) {
                    throw new IllegalArgumentException("home block " + mb.home() + " needs the 64BIT journal feature");
                }
                byte[] copy = mb.dataNoCopy().clone();
                int flags = 0;
                // jbd2_journal_write_metadata_buffer: a block that looks like a log block is logged with its magic
                // zeroed, or recovery would take it for a descriptor or commit.
                if (JournalHeader.hasMagic(copy)) {
                    copy[0] = copy[1] = copy[2] = copy[3] = 0;
                    flags |= BlockTag.FLAG_ESCAPE;
                }
                if (i > 0) {
                    flags |= BlockTag.FLAG_SAME_UUID;
                }
                if (i == chunk.size() - 1) {
                    flags |= BlockTag.FLAG_LAST_TAG;
                }
                int csum = 0;
                if (f.csumV3()) {
                    csum = JournalChecksum.dataBlock(seed, tid, copy);
                } else if (f.csumV2()) {
                    csum = JournalChecksum.dataBlock(seed, tid, copy) & 0xFFFF;
                }
                tags.add(new BlockTag(mb.home(), flags, csum));
                copies.add(copy);
            }
            out.add(new DescriptorBlock(tid, tags).encode(f, sb.uuid(), seed, bs));
            out.addAll(copies);
            descriptors++;
        }
        byte[] commit = new CommitBlock(tid, t.commitSec(), t.commitNsec()).encode(sb.csumV2or3(), seed, bs);
        return new TransactionLayout(tid, out, commit, descriptors, revokeBlocks);
    }

    /** {@code jbd2_journal_write_revoke_records}: as many records per block as fit before the tail. */
    private static int writeRevokeRecords(JournalSuperblock sb, TagFormat f, int seed, int tid, List<Long> revoked, List<byte[]> out) {
        if (!revoked.isEmpty() && (sb.featureIncompat() & JournalFeatures.INCOMPAT_REVOKE) == 0) {
            throw new IllegalStateException("revoke records need the REVOKE journal feature");
        }
        for (long r : revoked) {
            if (!f.is64bit() && r > 0xFFFFFFFFL) {
                throw new IllegalArgumentException("revoked block " + r + " needs the 64BIT journal feature");
            }
        }
        int cap = RevokeBlock.capacity(f, sb.blockSize());
        int n = 0;
        for (int from = 0; from < revoked.size(); from += cap) {
            out.add(new RevokeBlock(tid, revoked.subList(from, Math.min(revoked.size(), from + cap))).encode(f, seed, sb.blockSize()));
            n++;
        }
        return n;
    }
}
