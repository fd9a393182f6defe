package dev.ext4sim.ondisk.ext4;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.ondisk.E2fsprogs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Locality group preallocation (mballoc.c ext4_mb_group_or_file, ext4_mb_new_group_pa, ext4_mb_use_group_pa,
 * ext4_mb_discard_preallocations): where small files' blocks go, what the bitmap holds, what the listener hears.
 */
class GroupPreallocTest {
    /** HINT_DATA|DELALLOC_RESV|USE_RESV: a delalloc writeback request. */
    static final int WRITEBACK = Mballoc.HINT_DATA | 0x400 | 0x2000;

    @TempDir
    Path dir;

    /** What the tracepoints would say, one line per hook. */
    static final class Recorder implements MballocListener {
        final List<String> events = new ArrayList<>();
        final List<Allocation> stats = new ArrayList<>();

        @Override
        public void newGroupPa(long ino, long pstart, int len, long lstart) {
            events.add("new_group_pa ino " + ino + " pstart " + pstart + " len " + len + " lstart " + lstart);
        }

        @Override
        public void discardPreallocations(int needed) {
            events.add("discard_preallocations needed " + needed);
        }

        @Override
        public void releaseGroupPa(long pstart, int len) {
            events.add("release_group_pa pstart " + pstart + " len " + len);
        }

        @Override
        public void mballocDiscard(int group, int start, int len) {
            events.add("mballoc_discard " + group + "/" + start + "/" + len);
        }

        @Override
        public void collectStats(Allocation ac) {
            events.add(ac.prealloc() ? "mballoc_prealloc" : "mballoc_alloc");
            stats.add(ac);
        }
    }

    private Ext4Filesystem format(long size) {
        Path img = dir.resolve("fs.img");
        Mkfs.format(img, MkfsOptions.defaults().withSize(size).withTimestamp(1_700_000_000L));
        return Ext4Filesystem.open(img);
    }

    /** A writeback request of {@code len} blocks at {@code lblk} of a file of {@code isizeBlocks}, open for writing. */
    static AllocationRequest small(int ino, long lblk, int len, long goal, int cpu) {
        return new AllocationRequest(ino, lblk, len, goal, WRITEBACK, 0, 0, 0, 0, (lblk + len) * 4096L, true, cpu);
    }

    private static long freeInBitmaps(Ext4Filesystem fs) {
        long free = 0;
        for (int g = 0; g < fs.groupCount(); g++) {
            free += fs.group(g).bg_free_blocks_count();
        }
        return free;
    }

    @Test
    void consecutiveSmallFilesOfOneCpuShareItsPreallocationAndOnlyUsedBlocksReachTheBitmap() {
        try (Ext4Filesystem fs = format(64L << 20)) {
            Mballoc mb = fs.mballoc();
            Recorder rec = new Recorder();
            mb.setListener(rec);
            long free = freeInBitmaps(fs);

            Allocation first = mb.newBlocks(small(12, 0, 1, 0, 0));
            long x = first.block();
            assertThat(first.prealloc()).isFalse();
            assertThat(first.len()).isEqualTo(1);
            assertThat(first.flags() & Mballoc.HINT_GROUP_ALLOC).isNotZero();
            assertThat(first.goal().len()).as("normalised to s_mb_group_prealloc").isEqualTo(512);
            assertThat(first.found().len()).isEqualTo(512);
            assertThat(fs.geometry().groupFirstBlock(first.found().group()) + first.found().start()).isEqualTo(x);
            assertThat(rec.events).containsExactly("new_group_pa ino 12 pstart " + x + " len 512 lstart " + x, "mballoc_alloc");

            // the bitmap and the group's count hold the one block handed out; the other 511 are held in memory
            assertThat(mb.inUse(x)).isTrue();
            assertThat(mb.inUse(x + 1)).isFalse();
            assertThat(freeInBitmaps(fs)).isEqualTo(free - 1);
            assertThat(mb.preallocatedBlocks()).isEqualTo(511);

            // the next small files of that cpu come from the preallocation, one after the other
            rec.events.clear();
            Allocation second = mb.newBlocks(small(13, 0, 2, 0, 0));
            Allocation third = mb.newBlocks(small(14, 0, 1, 0, 0));
            assertThat(second.prealloc()).isTrue();
            assertThat(second.block()).isEqualTo(x + 1);
            assertThat(second.len()).isEqualTo(2);
            assertThat(second.best().logical()).isZero();
            assertThat(third.block()).isEqualTo(x + 3);
            assertThat(rec.events).containsExactly("mballoc_prealloc", "mballoc_prealloc");
            assertThat(mb.preallocatedBlocks()).isEqualTo(508);
            assertThat(freeInBitmaps(fs)).isEqualTo(free - 4);
            assertThat(mb.blocksAllocated()).as("blocks handed out, not preallocated").isEqualTo(4);
        }
    }

    @Test
    void anotherCpuGetsItsOwnPreallocationPastTheFirst() {
        try (Ext4Filesystem fs = format(64L << 20)) {
            Mballoc mb = fs.mballoc();
            long x = mb.newBlocks(small(12, 0, 1, 0, 0)).block();
            Allocation other = mb.newBlocks(small(13, 0, 1, 0, 1));
            assertThat(other.prealloc()).isFalse();
            assertThat(other.block()).as("cpu 1's run starts where cpu 0's ends").isEqualTo(x + 512);
            // each cpu keeps drawing on its own
            assertThat(mb.newBlocks(small(14, 0, 1, 0, 0)).block()).isEqualTo(x + 1);
            assertThat(mb.newBlocks(small(15, 0, 1, 0, 1)).block()).isEqualTo(x + 513);
            assertThat(mb.preallocatedBlocks()).isEqualTo(2 * 510);
        }
    }

    @Test
    void largeFilesAndMetadataGoAroundThePreallocation() {
        try (Ext4Filesystem fs = format(64L << 20)) {
            Mballoc mb = fs.mballoc();
            Recorder rec = new Recorder();
            mb.setListener(rec);
            long x = mb.newBlocks(small(12, 0, 1, 0, 0)).block();
            rec.events.clear();

            // a 64-block file is a stream: its goal inside the preallocation, its blocks after it
            Allocation big = mb.newBlocks(new AllocationRequest(20, 0, 64, x + 10, WRITEBACK, 0, 0, 0, 0, 64 * 4096L, true, 0));
            assertThat(big.flags() & Mballoc.STREAM_ALLOC).isNotZero();
            assertThat(big.flags() & Mballoc.HINT_GROUP_ALLOC).isZero();
            assertThat(big.goal().len()).isEqualTo(64);
            assertThat(big.block()).isEqualTo(x + 512);
            assertThat(rec.events).containsExactly("mballoc_alloc");
            // an extent tree block asked for inside it too
            assertThat(mb.newBlocks(x + 5, 1).start()).isEqualTo(x + 512 + 64);
            assertThat(mb.preallocatedBlocks()).isEqualTo(511);
        }
    }

    @Test
    void aClosedFileEndingAtItsSizeGetsNoPreallocation() {
        try (Ext4Filesystem fs = format(64L << 20)) {
            Mballoc mb = fs.mballoc();
            Recorder rec = new Recorder();
            mb.setListener(rec);
            Allocation a = mb.newBlocks(new AllocationRequest(12, 0, 1, 0, WRITEBACK, 0, 0, 0, 0, 12, false, 0));
            assertThat(a.flags() & Mballoc.HINT_NOPREALLOC).isNotZero();
            assertThat(a.goal().len()).isEqualTo(1);
            assertThat(rec.events).containsExactly("mballoc_alloc");
            assertThat(mb.preallocatedBlocks()).isZero();
        }
    }

    @Test
    void aUsedUpPreallocationIsDroppedAndTheNextRequestMakesANewOne() {
        try (Ext4Filesystem fs = format(64L << 20)) {
            Mballoc mb = fs.mballoc();
            Recorder rec = new Recorder();
            mb.setListener(rec);
            long x = mb.newBlocks(small(12, 0, 16, 0, 0)).block();
            for (int i = 1; i < 32; i++) {
                assertThat(mb.newBlocks(small(12 + i, 0, 16, 0, 0)).block()).isEqualTo(x + 16L * i);
            }
            assertThat(mb.preallocatedBlocks()).isZero();
            rec.events.clear();
            Allocation next = mb.newBlocks(small(50, 0, 1, 0, 0));
            assertThat(next.block()).isEqualTo(x + 512);
            assertThat(rec.events).as("the used-up one went without a trace")
                    .containsExactly("new_group_pa ino 50 pstart " + (x + 512) + " len 512 lstart " + (x + 512), "mballoc_alloc");
        }
    }

    @Test
    void moreThanEightLeftoversOfOneOrderAreTrimmedToFive() {
        try (Ext4Filesystem fs = format(64L << 20)) {
            Mballoc mb = fs.mballoc();
            Recorder rec = new Recorder();
            mb.setListener(rec);
            // free space in runs of 24 blocks: each preallocation is 24, of which a 16-block file leaves 8
            long start = mb.newBlocks(0, 1).start() + 1;
            for (long b = start + 24; b < start + 25 * 12; b += 25) {
                mb.claim(b, 1);
            }
            for (int i = 0; i < 9; i++) {
                assertThat(mb.newBlocks(small(12 + i, 0, 16, start, 0)).block()).isEqualTo(start + 25L * i);
            }
            // the ninth leftover made nine in the order-3 list: the four oldest went back, newest of them first
            List<String> released = rec.events.stream().filter(e -> e.startsWith("release_group_pa")).toList();
            assertThat(released).containsExactly("release_group_pa pstart " + (start + 25 * 3 + 16) + " len 8",
                    "release_group_pa pstart " + (start + 25 * 2 + 16) + " len 8",
                    "release_group_pa pstart " + (start + 25 + 16) + " len 8",
                    "release_group_pa pstart " + (start + 16) + " len 8");
            assertThat(rec.events.getLast()).isEqualTo("mballoc_alloc");
            assertThat(mb.preallocatedBlocks()).isEqualTo(5 * 8);
            // the blocks of a released one are the allocator's again
            assertThat(mb.newBlocks(start + 16, 8)).isEqualTo(new Mballoc.Run(start + 16, 8));
        }
    }

    @Test
    void atEnospcPreallocationsAreDiscardedAndTheSearchRetried() {
        try (Ext4Filesystem fs = format(64L << 20)) {
            Mballoc mb = fs.mballoc();
            Recorder rec = new Recorder();
            mb.setListener(rec);
            long x = mb.newBlocks(small(12, 0, 1, 0, 0)).block();
            int group = fs.geometry().groupOfBlock(x);
            // everything else taken: only the preallocation's 511 blocks are free on disk
            long rest = freeInBitmaps(fs) - 511;
            while (rest > 0) {
                rest -= mb.newBlocks(0, (int) Math.min(rest, 32768)).len();
            }
            assertThat(rec.events).doesNotContain("discard_preallocations needed 1");
            rec.events.clear();

            Allocation a = mb.newBlocks(new AllocationRequest(30, 0, 8, 0, WRITEBACK, 0, 0, 0, 0, 8 * 4096L, true, 1));
            assertThat(a.block()).isEqualTo(x + 1);
            assertThat(a.len()).isEqualTo(8);
            long off = x + 1 - fs.geometry().groupFirstBlock(group);
            assertThat(rec.events).containsExactly("discard_preallocations needed 8",
                    "release_group_pa pstart " + (x + 1) + " len 511", "mballoc_discard " + group + "/" + off + "/511",
                    "new_group_pa ino 30 pstart " + (x + 1) + " len 511 lstart " + (x + 1), "mballoc_alloc");
            assertThat(mb.preallocatedBlocks()).isEqualTo(503);

            // full: the 503 go back to a metadata request, then nothing is left
            rec.events.clear();
            assertThat(mb.newBlocks(0, 1000).len()).isEqualTo(503);
            assertThat(rec.events).first().isEqualTo("discard_preallocations needed 1000");
            assertThat(freeInBitmaps(fs)).isZero();
            rec.events.clear();
            assertThatThrownBy(() -> mb.newBlocks(small(31, 0, 1, 0, 0))).isInstanceOf(NoSpaceException.class);
            assertThat(rec.events).containsExactly("discard_preallocations needed 1");
        }
    }

    @Test
    void aCrashOrUnmountLeavesACleanBitmapAndNoPreallocation() {
        Path img = dir.resolve("fs.img");
        Mkfs.format(img, MkfsOptions.defaults().withSize(64L << 20).withTimestamp(1_700_000_000L));
        long x;
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            x = -1;
            for (int i = 0; i < 3; i++) {
                int ino = fs.create("/f" + i, 0644);
                Inode raw = fs.inodes().read(ino);
                Allocation a = fs.mballoc().newBlocks(small(ino, 0, 2, 0, 0));
                x = x < 0 ? a.block() : x;
                fs.extents().insert(raw, new Extent(0, a.len(), a.block()));
                raw.i_blocks(raw.i_blocks() + a.len() * 8L);
                raw.i_size(a.len() * 4096L);
                fs.inodes().write(raw);
            }
            assertThat(fs.mballoc().preallocatedBlocks()).isEqualTo(512 - 6);
            // the process ends here with the preallocation in memory: nothing of it is on disk
        }
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(img);
        assertThat(fsck.exit()).as(fsck.output()).isZero();
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            assertThat(fs.mballoc().preallocatedBlocks()).isZero();
            assertThat(fs.mballoc().inUse(x + 5)).isTrue();
            assertThat(fs.mballoc().inUse(x + 6)).isFalse();
            // remounted, another cpu's small file takes the block right after them
            assertThat(fs.mballoc().newBlocks(small(40, 0, 1, 0, 1)).block()).isEqualTo(x + 6);
            fs.mballoc().releasePreallocations();
            assertThat(fs.mballoc().preallocatedBlocks()).isZero();
        }
    }
}
