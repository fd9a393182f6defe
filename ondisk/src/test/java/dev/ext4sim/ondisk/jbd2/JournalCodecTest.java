package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.Be;
import dev.ext4sim.ondisk.OnDiskException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The codecs against the layouts in ondisk-jbd2.md, checksums against java.util.zip.CRC32C. */
class JournalCodecTest {
    private static final byte[] UUID = new byte[16];

    static {
        for (int i = 0; i < 16; i++) {
            UUID[i] = (byte) (0x10 + i);
        }
    }

    /** ondisk-jbd2.md §8: a value seeded with the journal seed is ~CRC32C(uuid ‖ parts…). */
    private static int seeded(byte[]... parts) {
        CRC32C c = new CRC32C();
        c.update(UUID);
        for (byte[] p : parts) {
            c.update(p);
        }
        return (int) ~c.getValue();
    }

    static JournalSuperblock freshSuperblock(int incompat, long maxlen) {
        byte[] b = new byte[4096];
        new JournalHeader(JournalHeader.SUPERBLOCK_V2, 0).write(b);
        Be.u32(b, 0x0C, 4096);
        Be.u32(b, 0x10, maxlen);
        Be.u32(b, 0x14, 1);
        Be.u32(b, 0x18, 1);
        System.arraycopy(UUID, 0, b, 0x30, 16);
        Be.u32(b, 0x40, 1);
        JournalSuperblock sb = JournalSuperblock.decode(b, 77);
        return incompat == 0 ? sb : JournalSuperblock.decode(sb.withIncompat(incompat).encode(), 77);
    }

    @Test
    void superblockRoundTripsWithItsChecksumAndKeepsUninterpretedBytes() {
        JournalSuperblock sb = freshSuperblock(JournalFeatures.incompatFor(true, true), 1024);
        byte[] raw = sb.encode();
        raw[0x200] = 0x5A; // inside s_users, not interpreted
        Be.u32(raw, JournalSuperblock.CHECKSUM_OFFSET, JournalChecksum.superblock(raw));
        JournalSuperblock back = JournalSuperblock.decode(raw, 77).withLogTail(9, 33);
        byte[] again = back.encode();

        assertThat(Be.s32(again, 0x28)).isEqualTo(0x13);
        assertThat(Be.u8(again, 0x50)).isEqualTo(4);
        assertThat(Be.s32(again, 0x18)).isEqualTo(9);
        assertThat(Be.s32(again, 0x1C)).isEqualTo(33);
        assertThat(again[0x200]).isEqualTo((byte) 0x5A);
        byte[] zeroed = again.clone();
        Be.u32(zeroed, 0xFC, 0);
        CRC32C c = new CRC32C();
        c.update(zeroed, 0, 1024);
        assertThat(Be.s32(again, 0xFC)).isEqualTo((int) ~c.getValue());
    }

    @Test
    void superblockRefusalsNameTheStructureAndBlock() {
        byte[] good = freshSuperblock(JournalFeatures.incompatFor(true, true), 1024).encode();

        byte[] magic = good.clone();
        magic[0] = 0;
        assertThatThrownBy(() -> JournalSuperblock.decode(magic, 1234)).isInstanceOf(OnDiskException.class)
                .hasMessageContaining("journal superblock").hasMessageContaining("device block 1234").hasMessageContaining("bad magic");

        byte[] csum = good.clone();
        csum[0x300] ^= 1;
        assertThatThrownBy(() -> JournalSuperblock.decode(csum, 1234)).hasMessageContaining("checksum");

        byte[] unknown = good.clone();
        Be.u32(unknown, 0x28, 0x13 | 0x100);
        Be.u32(unknown, 0xFC, JournalChecksum.superblock(unknown));
        assertThatThrownBy(() -> JournalSuperblock.decode(unknown, 1234)).hasMessageContaining("unsupported incompat features 0x100");

        byte[] both = good.clone();
        Be.u32(both, 0x28, 0x1 | 0x8 | 0x10);
        Be.u32(both, 0xFC, JournalChecksum.superblock(both));
        assertThatThrownBy(() -> JournalSuperblock.decode(both, 1234)).hasMessageContaining("both CSUM_V2 and CSUM_V3");

        byte[] type = good.clone();
        Be.u32(type, 4, JournalHeader.COMMIT_BLOCK);
        assertThatThrownBy(() -> JournalSuperblock.decode(type, 1234)).hasMessageContaining("commit block");
    }

    @Test
    void descriptorRulesGive253TagsPer4KiBWithCsumV3() {
        assertThat(new TagFormat(true, false, true).tagsPerDescriptor(4096)).isEqualTo(253);
        // Plain 8-byte tags, no tail: (4084 - 16 - 8n) < 24 first when n = 506.
        assertThat(new TagFormat(false, false, false).tagsPerDescriptor(4096)).isEqualTo(506);
        assertThat(new TagFormat(false, false, false).tagBytes()).isEqualTo(8);
        assertThat(new TagFormat(false, false, true).tagBytes()).isEqualTo(12);
        assertThat(new TagFormat(false, true, false).tagBytes()).isEqualTo(10);
        assertThat(new TagFormat(false, true, true).tagBytes()).isEqualTo(14);
        assertThat(new TagFormat(true, false, false).tagBytes()).isEqualTo(16);
    }

    @Test
    void descriptorTagsRoundTripInEveryFormat() {
        int seed = JournalChecksum.seed(UUID);
        for (TagFormat f : List.of(new TagFormat(false, false, false), new TagFormat(false, false, true),
                new TagFormat(false, true, false), new TagFormat(false, true, true), new TagFormat(true, false, true))) {
            List<BlockTag> tags = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                long nr = f.is64bit() ? 0x1_0000_0000L * (i + 1) + i : 1000 + i;
                int flags = (i == 1 ? BlockTag.FLAG_ESCAPE : 0) | (i > 0 ? BlockTag.FLAG_SAME_UUID : 0) | (i == 4 ? BlockTag.FLAG_LAST_TAG : 0);
                int csum = f.csumV3() ? 0xCAFEBABE + i : f.csumV2() ? 0xBEE0 + i : 0;
                tags.add(new BlockTag(nr, flags, csum));
            }
            byte[] b = new DescriptorBlock(7, tags).encode(f, UUID, seed, 4096);
            assertThat(DescriptorBlock.decode(b, f)).as(f.toString()).isEqualTo(new DescriptorBlock(7, tags));
            // The UUID follows the first tag only.
            assertThat(java.util.Arrays.copyOfRange(b, 12 + f.tagBytes(), 12 + f.tagBytes() + 16)).isEqualTo(UUID);
            if (f.tailBytes() > 0) {
                assertThat(Be.s32(b, 4092)).isEqualTo(seeded(java.util.Arrays.copyOf(b, 4092), new byte[4]));
            }
        }
    }

    @Test
    void revokeBlockCountsItsHeaderAndChecksumsItsTail() {
        TagFormat f64 = new TagFormat(true, false, true);
        byte[] b = new RevokeBlock(9, List.of(0x1_2345_6789L)).encode(f64, JournalChecksum.seed(UUID), 4096);
        assertThat(Be.s32(b, 12)).isEqualTo(24);
        assertThat(Be.u64(b, 16)).isEqualTo(0x1_2345_6789L);
        assertThat(Be.s32(b, 4092)).isEqualTo(seeded(java.util.Arrays.copyOf(b, 4092), new byte[4]));
        assertThat(RevokeBlock.decode(b, f64)).isEqualTo(new RevokeBlock(9, List.of(0x1_2345_6789L)));

        TagFormat f32 = new TagFormat(false, false, false);
        byte[] c = new RevokeBlock(9, List.of(5L, 6L)).encode(f32, 0, 4096);
        assertThat(Be.s32(c, 12)).isEqualTo(24);
        assertThat(RevokeBlock.decode(c, f32).blocks()).containsExactly(5L, 6L);
        assertThat(RevokeBlock.capacity(f64, 4096)).isEqualTo((4096 - 4 - 16) / 8);

        Be.u32(b, 12, 4095); // r_count into the tail
        assertThat(RevokeBlock.decode(b, f64)).isNull();
    }

    @Test
    void commitBlockChecksumAndTimes() {
        int seed = JournalChecksum.seed(UUID);
        byte[] b = new CommitBlock(11, 1_700_000_123L, 456).encode(true, seed, 4096);
        assertThat(Be.u64(b, 0x30)).isEqualTo(1_700_000_123L);
        assertThat(Be.s32(b, 0x38)).isEqualTo(456);
        assertThat(Be.u8(b, 0x0C)).isZero();
        byte[] zeroed = b.clone();
        Be.u32(zeroed, 0x10, 0);
        assertThat(Be.s32(b, 0x10)).isEqualTo(seeded(zeroed));
        assertThat(CommitBlock.verify(b, true, seed)).isTrue();
        b[0x800] = 1;
        assertThat(CommitBlock.verify(b, true, seed)).isFalse();
        assertThat(CommitBlock.decode(b)).isEqualTo(new CommitBlock(11, 1_700_000_123L, 456));
    }

    @Test
    void dataTagChecksumCoversTheTidThenTheEscapedLogCopy() {
        byte[] block = new byte[4096];
        new Random(3).nextBytes(block);
        int seed = JournalChecksum.seed(UUID);
        int expected = seeded(ByteBuffer.allocate(4).putInt(42).array(), block);
        assertThat(JournalChecksum.dataBlock(seed, 42, block)).isEqualTo(expected);
        BlockTag v2 = new BlockTag(1, 0, expected & 0xFFFF);
        assertThat(v2.verify(new TagFormat(false, true, false), seed, 42, block)).isTrue();
        assertThat(v2.verify(new TagFormat(false, true, false), seed, 43, block)).isFalse();
    }

    @Test
    void commitLayoutEscapesMagicBlocksAndSplitsDescriptors() {
        JournalSuperblock sb = freshSuperblock(JournalFeatures.incompatFor(true, true), 4096);
        Random rnd = new Random(5);
        List<MetadataBlock> blocks = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            byte[] d = new byte[4096];
            rnd.nextBytes(d);
            if (i == 254) {
                Be.u32(d, 0, JournalHeader.MAGIC);
            }
            blocks.add(new MetadataBlock(500 + i, d));
        }
        TransactionLayout l = Commit.layout(sb, 8, new Transaction(blocks, List.of(9999L), 1, 0));
        assertThat(l.revokeBlocks()).isEqualTo(1);
        assertThat(l.descriptors()).isEqualTo(2);
        assertThat(l.length()).isEqualTo(1 + 1 + 253 + 1 + 47 + 1);
        byte[] second = l.logBlocks().get(1 + 1 + 253);
        DescriptorBlock d = DescriptorBlock.decode(second, sb.tagFormat());
        assertThat(d.tags()).hasSize(47);
        BlockTag escaped = d.tags().get(1); // home 754 = blocks[254]
        assertThat(escaped.blockNr()).isEqualTo(754);
        assertThat(escaped.escaped()).isTrue();
        byte[] logCopy = l.logBlocks().get(1 + 1 + 253 + 2);
        assertThat(Be.s32(logCopy, 0)).isZero();
        assertThat(escaped.verify(sb.tagFormat(), sb.csumSeed(), 8, logCopy)).isTrue();
        assertThat(d.tags().get(0).sameUuid()).isFalse();
        assertThat(d.tags().get(46).lastTag()).isTrue();
    }
}
