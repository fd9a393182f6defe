package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed program's writeback with the file still open, twice from the flusher's cpu: the first small file creates
 * that cpu's locality group preallocation (ext4_mb_new_group_pa, then ext4_mballoc_alloc of the 512-block goal), the
 * second takes the next block from it (ext4_mballoc_prealloc). Near a full disk the preallocation is given back.
 */
class GroupPreallocTraceTest {
    static final String KWORKER = "kworker/u16:2";

    @TempDir
    Path dir;

    private static String text(List<TraceEvent> events, String name) {
        return events.stream().filter(e -> e.event().equals(name)).findFirst().orElseThrow().text();
    }

    /** The seed program without close: open, write "hello world\n"; the flusher writes it back. */
    private static int seed(Ext4Fixture f, TraceContext w, String name) {
        int ino = f.ext4.create(w, Ext4.ROOT_INO, name, 0644);
        f.ext4.open(w, ino, true);
        f.ext4.write(w, ino, 0, SeedTraceTest.HELLO, Ext4Mount.WriteFlags.NONE);
        f.sink.clear();
        f.flushAll();
        return ino;
    }

    @Test
    void theFirstSmallFileCreatesTheCpusPreallocationAndTheSecondUsesIt() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20)) {
            TraceContext demo = Ext4Fixture.writer("demo", 1234);
            int first = seed(f, demo, "hello");
            assertThat(f.names(KWORKER)).containsExactlyElementsOf(SeedTraceTest.withGroupPa(SeedTraceTest.WRITEPAGES_OPEN));
            List<TraceEvent> k = f.events(KWORKER);
            long pblk = f.block.submitted().getLast().bio().block();
            assertThat(text(k, "ext4_request_blocks")).isEqualTo("dev 8,1 ino 12 flags HINT_DATA|DELALLOC_RESV|USE_RESV len 1 "
                    + "lblk 0 goal 0 lleft 0 lright 0 pleft 0 pright 0 ");
            assertThat(text(k, "ext4_mb_new_group_pa")).isEqualTo("dev 8,1 ino 12 pstart " + pblk + " len 512 lstart " + pblk);
            assertThat(text(k, "ext4_mballoc_alloc")).isEqualTo("dev 8,1 inode 12 orig 0/0/1@0 goal 0/0/512@0 result 0/" + pblk
                    + "/512@0 blks 1 grps 1 cr 0 flags HINT_DATA|HINT_GRP_ALLOC|DELALLOC_RESV|USE_RESV tail 0 broken 0");
            assertThat(text(k, "ext4_allocate_blocks")).isEqualTo("dev 8,1 ino 12 flags HINT_DATA|DELALLOC_RESV|USE_RESV len 1 "
                    + "block " + pblk + " lblk 0 goal 0 lleft 0 lright 0 pleft 0 pright 0");
            // statfs counts the preallocated blocks as free: only the one handed out left the free count
            long free = f.ext4.freeBlocks();

            int second = seed(f, demo, "hello2");
            List<String> expected = new java.util.ArrayList<>(SeedTraceTest.WRITEPAGES_OPEN);
            expected.set(expected.indexOf("ext4_mballoc_alloc"), "ext4_mballoc_prealloc");
            // ext4_mb_mark_diskspace_used's block bitmap, which the first allocation put in this cpu's bh LRU
            expected.add(expected.indexOf("ext4_mballoc_prealloc"), "block_touch_buffer");
            assertThat(f.names(KWORKER)).containsExactlyElementsOf(expected);
            k = f.events(KWORKER);
            assertThat(text(k, "ext4_mballoc_prealloc")).isEqualTo("dev 8,1 inode 13 orig 0/0/1@0 result 0/" + (pblk + 1) + "/1@0");
            assertThat(text(k, "ext4_allocate_blocks")).contains("ino 13 ").contains(" block " + (pblk + 1) + " ");
            assertThat(f.block.submitted().getLast().bio().block()).isEqualTo(pblk + 1);
            assertThat(f.ext4.freeBlocks()).isEqualTo(free - 1);

            f.ext4.release(demo, first, true);
            f.ext4.release(demo, second, true);
            assertThat(f.journal.commit()).isTrue();
            f.unmountAndCheck();
            assertThat(E2fsprogs.debugfs(f.image, "cat /hello2").stdout()).isEqualTo(SeedTraceTest.HELLO);
            assertThat(E2fsprogs.debugfs(f.image, "icheck " + pblk + " " + (pblk + 1) + " " + (pblk + 2)).output())
                    .containsPattern(pblk + "\\s+12").containsPattern((pblk + 1) + "\\s+13")
                    .containsPattern((pblk + 2) + "\\s+<block not found>");
        }
    }

    @Test
    void aFullDiskTakesThePreallocationBack() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20)) {
            TraceContext demo = Ext4Fixture.writer("demo", 1234);
            int small = seed(f, demo, "small");
            long pblk = f.block.submitted().getLast().bio().block();
            assertThat(f.names(KWORKER)).contains("ext4_mb_new_group_pa");

            // a large file fills the disk: delalloc reserves what the preallocation holds too (statfs counts it free),
            // so the allocations that turn the reservations into blocks need it back
            TraceContext filler = Ext4Fixture.writer("filler", 7);
            int big = f.ext4.create(filler, Ext4.ROOT_INO, "big", 0644);
            f.sink.clear();
            long pos = 0;
            byte[] chunk = new byte[64 << 10];
            try {
                for (int i = 0; i < 1000; i++) {
                    pos = f.ext4.write(filler, big, pos, chunk, Ext4Mount.WriteFlags.NONE).pos();
                }
            } catch (dev.ext4sim.bus.ErrnoException e) {
                assertThat(e.errno()).isEqualTo(dev.ext4sim.bus.Errno.ENOSPC);
            }
            f.flushAll(); // every reserved block gets a real one: no ENOSPC at writeback
            assertThat(f.ext4.dirtyInodes()).isEmpty();
            assertThat(f.ext4.getattr(filler, big).size()).isEqualTo(pos);
            List<TraceEvent> events = f.sink.events().stream().filter(e -> e.system().equals("ext4")).toList();
            List<String> names = events.stream().map(TraceEvent::event).toList();
            int discard = names.indexOf("ext4_mb_discard_preallocations");
            assertThat(discard).as("the preallocation was discarded").isPositive();
            // between the request that found nothing and that request's own ext4_mballoc_alloc
            assertThat(names.get(discard - 1)).isEqualTo("ext4_request_blocks");
            assertThat(names.subList(discard, discard + 4)).containsExactly("ext4_mb_discard_preallocations",
                    "ext4_mb_release_group_pa", "ext4_mballoc_discard", "ext4_mballoc_alloc");
            assertThat(events.get(discard + 1).text()).isEqualTo("dev 8,1 pstart " + (pblk + 1) + " len 511");
            assertThat(events.get(discard + 2).text()).isEqualTo("dev 8,1 inode 0 extent 0/" + (pblk + 1) + "/511 ");
            assertThat(events.get(discard).comm()).isEqualTo(events.get(discard - 1).comm());

            f.ext4.release(demo, small, true);
            assertThat(f.journal.commit()).isTrue();
            f.unmountAndCheck();
        }
    }
}
