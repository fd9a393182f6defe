package dev.ext4sim.ondisk.ext4;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.ondisk.Le;
import dev.ext4sim.ondisk.OnDiskException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The codecs on their own: layouts from the reference, limits, and the rules they enforce. */
class CodecTest {
    @Test
    void extentRootMatchesTheReferenceJournalInode() {
        // ondisk-ext4.md §7: journal inode i_block of the 64 MiB reference image.
        byte[] iblock = ExtentNode.leaf(4, 0, List.of(new Extent(0, 1024, 1033))).toIBlock();
        assertThat(Le.u32(iblock, 0)).isEqualTo(0x0001F30AL);
        assertThat(Le.u32(iblock, 4)).isEqualTo(0x00000004L);
        assertThat(Le.u32(iblock, 12)).isZero();
        assertThat(Le.u32(iblock, 16)).isEqualTo(0x00000400L);
        assertThat(Le.u32(iblock, 20)).isEqualTo(0x00000409L);
        ExtentNode back = ExtentNode.decode(iblock, 0, 4, "root", -1);
        assertThat(back.extents()).containsExactly(new Extent(0, 1024, 1033));
    }

    @Test
    void unwrittenAndHighExtentsRoundTrip() {
        List<Extent> ext = List.of(new Extent(0, 32768, 1L << 40), new Extent(40000, 100, 5, true), new Extent(50000, 32767, 7, true));
        byte[] b = ExtentNode.leaf(340, 0, ext).toBlock(4096, 123, 12, 99, true);
        assertThat(Le.u16(b, 12 + 12 + 4)).isEqualTo(32768 + 100);
        ExtentNode back = ExtentNode.decode(b, 0, 340, "leaf", 1);
        assertThat(back.extents()).isEqualTo(ext);
        assertThat(Le.u32(b, 4092) & 0xFFFFFFFFL).isEqualTo(ExtentNode.blockChecksum(123, 12, 99, b) & 0xFFFFFFFFL);
    }

    @Test
    void inodeTimesKeepTheirNanosecondsAndEpochBitsInTheExtraPart() {
        Inode i = new Inode(12, new byte[256]);
        i.i_extra_isize(32);
        Timespec t = new Timespec(1_780_000_000L, 123_456_789);
        i.mtime(t);
        assertThat(Le.u32(i.raw(), 0x10)).isEqualTo(1_780_000_000L);
        assertThat(Le.u32(i.raw(), 0x88)).as("i_mtime_extra: nsec << 2, epoch 0").isEqualTo(123_456_789L << 2);
        assertThat(i.mtime()).isEqualTo(t);
        // past 2038 the seconds no longer fit in 32 signed bits: the epoch bits carry the rest
        Timespec late = new Timespec((1L << 32) + 5, 7);
        i.ctime(late);
        assertThat(Le.u32(i.raw(), 0x0C)).isEqualTo(5L);
        assertThat(Le.u32(i.raw(), 0x84) & 3).isEqualTo(1L);
        assertThat(i.ctime()).isEqualTo(late);
        i.setAllTimes(t);
        assertThat(List.of(i.atime(), i.ctime(), i.mtime(), i.crtime())).containsOnly(t);
    }

    @Test
    void aSmallInodeKeepsSecondsOnly() {
        Inode small = new Inode(12, new byte[128]);
        small.mtime(new Timespec(1_780_000_000L, 999));
        assertThat(small.mtime()).isEqualTo(Timespec.ofSeconds(1_780_000_000L));
        Inode noExtra = new Inode(13, new byte[256]);
        noExtra.i_extra_isize(4);
        noExtra.atime(new Timespec(1_780_000_000L, 999));
        assertThat(noExtra.atime()).as("i_atime_extra lies beyond an extra part of 4 bytes").isEqualTo(Timespec.ofSeconds(1_780_000_000L));
        assertThat(Le.u32(noExtra.raw(), 0x8C)).isZero();
    }

    @Test
    void extentLimits() {
        assertThatThrownBy(() -> new Extent(0, 32769, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Extent(0, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        byte[] b = ExtentNode.leaf(4, 0, List.of()).toIBlock();
        Le.u16(b, 2, 5); // entries > max
        assertThatThrownBy(() -> ExtentNode.decode(b, 0, 4, "extent root of inode 9", -1)).isInstanceOf(OnDiskException.class)
                .hasMessageContaining("extent root of inode 9").hasMessageContaining("entries 5, max 4");
    }

    @Test
    void mergeJoinsOnlyContinuingExtents() {
        List<Extent> in = List.of(new Extent(0, 2, 100), new Extent(2, 3, 102), new Extent(5, 1, 200), new Extent(7, 1, 201),
                new Extent(8, 1, 202, true));
        assertThat(ExtentTree.merge(in)).containsExactly(new Extent(0, 5, 100), new Extent(5, 1, 200), new Extent(7, 1, 201),
                new Extent(8, 1, 202, true));
        assertThat(ExtentTree.merge(List.of(new Extent(0, 32768, 0), new Extent(32768, 1, 32768)))).hasSize(2);
    }

    @Test
    void dirBlockLayoutMatchesTheReferenceRoot() {
        int space = DirBlock.space(4096, true);
        DirBlock root = new DirBlock(List.of(DirEntry.of(2, ".", 2, 12), DirEntry.of(2, "..", 2, 12),
                DirEntry.of(11, "lost+found", 2, space - 24)), true);
        byte[] b = root.encode(4096);
        assertThat(Le.u16(b, 24 + 4)).isEqualTo(4060);
        assertThat(Le.u16(b, 4084 + 4)).isEqualTo(12);
        assertThat(Le.u8(b, 4084 + 7)).isEqualTo(0xDE);
        // ondisk-ext4.md §8: adding a.txt shrinks lost+found to 20 and puts a.txt at 44 up to the tail.
        DirBlock grown = root.withAdded(12, "a.txt".getBytes(), 1);
        byte[] g = grown.encode(4096);
        assertThat(Le.u16(g, 24 + 4)).isEqualTo(20);
        assertThat(Le.u32(g, 44)).isEqualTo(12);
        assertThat(Le.u16(g, 44 + 4)).isEqualTo(4040);
        assertThat(DirBlock.decode(g, true, "dir", 5).live()).extracting(DirEntry::nameString).containsExactly(".", "..", "lost+found", "a.txt");
    }

    @Test
    void dirBlockFillsThenRefuses() {
        DirBlock blk = DirBlock.empty(4096, true);
        int n = 0;
        while (true) {
            DirBlock next = blk.withAdded(100 + n, ("name-" + n).getBytes(), 1);
            if (next == null) {
                break;
            }
            blk = next;
            n++;
        }
        // Records of 8 + 6..8 name bytes rounded to 16: (4096 - 12) / 16 = 255.
        assertThat(n).isEqualTo(255);
        assertThat(DirBlock.decode(blk.encode(4096), true, "d", 1).live()).hasSize(255);
    }

    @Test
    void dirBlockKeepsBytesItsRecordsDoNotCover() {
        byte[] raw = DirBlock.empty(4096, true).withAdded(12, "long-name-here".getBytes(), 1).encode(4096);
        // Rename in place to something shorter, as a kernel would leave it: old name bytes stay after the new one.
        Le.u8(raw, 6, 1);
        raw[8] = 'x';
        DirBlock back = DirBlock.decode(raw, true, "d", 1);
        assertThat(back.live()).extracting(DirEntry::nameString).containsExactly("x");
        assertThat(back.encode(4096)).isEqualTo(raw);
        assertThat(new DirBlock(back.entries(), true).encode(4096)).isNotEqualTo(raw);
    }

    @Test
    void dirBlockDecodeRejectsBadRecords() {
        byte[] b = DirBlock.empty(4096, true).encode(4096);
        Le.u16(b, 4, 10); // rec_len not a multiple of 4
        assertThatThrownBy(() -> DirBlock.decode(b, true, "directory block 0 of inode 2", 1028)).isInstanceOf(OnDiskException.class)
                .hasMessageContaining("at block 1028").hasMessageContaining("rec_len 10");
        byte[] c = DirBlock.empty(4096, true).encode(4096);
        Le.u8(c, 4095 - 4, 0); // tail file type 0xDE damaged
        assertThatThrownBy(() -> DirBlock.decode(c, true, "dir", 7)).isInstanceOf(OnDiskException.class).hasMessageContaining("tail");
    }

    @Test
    void sparseSuperGroups() {
        Geometry g = new Geometry(4096, 32768L * 400, 0, 32768, 8192, 256, 64, true);
        List<Integer> with = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            if (g.hasSuper(i)) {
                with.add(i);
            }
        }
        assertThat(with).containsExactly(0, 1, 3, 5, 7, 9, 25, 27, 49, 81, 125, 243, 343);
        assertThat(g.gdtBlocks()).isEqualTo(7);
    }

    @Test
    void bitmapEndPaddingAndSearch() {
        byte[] map = new byte[4096];
        Bitmaps.markEnd(map, 8192 + 3);
        assertThat(Bitmaps.test(map, 8192 + 2)).isFalse();
        assertThat(Bitmaps.test(map, 8192 + 3)).isTrue();
        assertThat(map[4095]).isEqualTo((byte) 0xFF);
        Bitmaps.setRange(map, 0, 100);
        assertThat(Bitmaps.findNextZero(map, 0, 8192)).isEqualTo(100);
        assertThat(Bitmaps.countZeros(map, 8192 + 3)).isEqualTo(8192 + 3 - 100);
    }

    @Test
    void groupDescriptorHalves() {
        byte[] t = new byte[128];
        GroupDesc wide = new GroupDesc(t, 64, 64);
        wide.bg_inode_table(0x1_0000_0004L);
        wide.bg_free_blocks_count(0x12345);
        assertThat(Le.u32(t, 64 + 0x08)).isEqualTo(4);
        assertThat(Le.u32(t, 64 + 0x28)).isEqualTo(1);
        assertThat(wide.bg_free_blocks_count()).isEqualTo(0x12345);
        GroupDesc narrow = new GroupDesc(new byte[32], 0, 32);
        assertThatThrownBy(() -> narrow.bg_inode_table(1L << 32)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64bit");
    }
}
