package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * block_touch_buffer and block_dirty_buffer on ext4's paths: a touch only where __find_get_block finds the buffer in
 * the task's cpu's bh LRU (16 buffers), a dirty for every mark_buffer_dirty, with the block the buffer really has.
 */
class BufferTraceTest {
    static final byte[] HELLO = SeedTraceTest.HELLO;

    @TempDir
    Path dir;

    /** Group 0's block bitmap, inode bitmap and inode table as debugfs reads them from the image. */
    private record Group0(long blockBitmap, long inodeBitmap, long inodeTable) {
        static Group0 of(Path image) {
            String stats = E2fsprogs.debugfs(image, "stats").output();
            Matcher m = Pattern.compile("Group\\s+0: block bitmap at (\\d+), inode bitmap at (\\d+), inode table at (\\d+)")
                    .matcher(stats);
            assertThat(m.find()).as(stats).isTrue();
            return new Group0(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)));
        }
    }

    private static String buffer(long block) {
        return "8,1 sector=" + block + " size=4096";
    }

    private static List<TraceEvent> from(List<TraceEvent> events, int index) {
        return events.subList(index, events.size());
    }

    private static List<String> names(List<TraceEvent> events) {
        return events.stream().map(TraceEvent::event).toList();
    }

    private static List<String> texts(List<TraceEvent> events, String name) {
        return events.stream().filter(e -> e.event().equals(name)).map(TraceEvent::text).toList();
    }

    private static int hello(Ext4Fixture f, TraceContext w, String name) {
        try {
            f.ext4.lookup(w, Ext4.ROOT_INO, name);
        } catch (dev.ext4sim.bus.ErrnoException expected) {
            // lookup_open's miss
        }
        int ino = f.ext4.create(w, Ext4.ROOT_INO, name, 0644);
        f.ext4.open(w, ino, true);
        f.ext4.write(w, ino, 0, HELLO, Ext4Mount.WriteFlags.NONE);
        f.ext4.fsync(w, ino, false);
        return ino;
    }

    @Test
    void aSecondFileOnTheSameCpuTouchesTheBuffersTheFirstOneGot() {
        Group0 g0 = Group0.of(Ext4Fixture.format(dir.resolve("sda1.img"), 64L << 20));
        try (Ext4Fixture f = new Ext4Fixture(dir.resolve("sda1.img"))) {
            TraceContext w = Ext4Fixture.writer("demo", 1234);
            hello(f, w, "hello");
            List<TraceEvent> first = f.events("demo");
            // the first program got the bitmaps' buffers for the first time on this cpu: no touch of either
            assertThat(texts(first, "block_touch_buffer")).doesNotContain(buffer(g0.inodeBitmap()), buffer(g0.blockBitmap()));
            int mark = first.size();
            hello(f, w, "hello2");
            List<TraceEvent> second = from(f.events("demo"), mark);
            long root = Long.parseLong(first.stream().filter(e -> e.event().equals("ext4_ext_show_extent")).findFirst()
                    .orElseThrow().text().split(" ")[7]);
            // lookup (a status hit, then the directory block's buffer), the create with its inode bitmap before the handle
            assertThat(names(second).subList(0, 16)).containsExactly(
                    "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit", "block_touch_buffer",
                    "ext4_request_inode", "block_touch_buffer", "ext4_journal_start",
                    "ext4_mark_inode_dirty", "block_touch_buffer", "ext4_allocate_inode",
                    "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit", "block_touch_buffer",
                    "ext4_mark_inode_dirty", "block_touch_buffer", "ext4_mark_inode_dirty", "block_touch_buffer");
            assertThat(texts(second.subList(0, 16), "block_touch_buffer")).containsExactly(buffer(root), buffer(g0.inodeBitmap()),
                    buffer(g0.inodeTable()), buffer(root), buffer(g0.inodeTable()), buffer(g0.inodeTable()));
            // the allocation from the cpu's group preallocation reads the block bitmap first (ext4_mb_mark_diskspace_used)
            int request = names(second).indexOf("ext4_request_blocks");
            assertThat(names(second).subList(request, request + 4)).containsExactly("ext4_request_blocks",
                    "block_touch_buffer", "ext4_mballoc_prealloc", "ext4_allocate_blocks");
            assertThat(second.get(request + 1).text()).isEqualTo(buffer(g0.blockBitmap()));
            assertThat(second).filteredOn(e -> e.event().equals("block_dirty_buffer")).extracting(TraceEvent::text)
                    .containsExactly("8,1 sector=18446744073709486080 size=4096");
        }
    }

    @Test
    void anOverwriteOfAWrittenPageDirtiesTheBufferOfItsBlock() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20)) {
            TraceContext w = Ext4Fixture.writer("demo", 1234);
            int ino = hello(f, w, "hello");
            long data = f.block.submitted().getLast().bio().block();
            f.sink.clear();
            f.ext4.write(w, ino, 0, "HELLO".getBytes(StandardCharsets.US_ASCII), Ext4Mount.WriteFlags.NONE);
            List<TraceEvent> overwrite = f.events("demo");
            // mpage_map_and_submit_buffers gave the buffer its block at writeback; mark_buffer_dirty traces it
            assertThat(names(overwrite)).containsSubsequence("ext4_da_write_end", "block_dirty_buffer", "writeback_dirty_page");
            assertThat(texts(overwrite, "block_dirty_buffer")).containsExactly(buffer(data));
            // and a second write to the page, dirty already: mark_buffer_dirty is traced again, the page is not
            f.sink.clear();
            f.ext4.write(w, ino, 5, " ".getBytes(StandardCharsets.US_ASCII), Ext4Mount.WriteFlags.NONE);
            assertThat(texts(f.events("demo"), "block_dirty_buffer")).containsExactly(buffer(data));
            assertThat(names(f.events("demo"))).doesNotContain("writeback_dirty_page");
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
            String bmap = new String(E2fsprogs.debugfs(f.image, "bmap /hello 0").stdout(), StandardCharsets.US_ASCII).trim();
            assertThat(bmap).isEqualTo(Long.toString(data));
        }
    }

    @Test
    void aTaskOnTheOtherCpuFindsNoneOfTheseBuffersInItsLru() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20)) {
            TraceContext w = Ext4Fixture.writer("demo", 1234);
            TraceContext other = Ext4Fixture.writer("demo", 1235);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "a", 0644);
            f.ext4.write(w, ino, 0, HELLO, Ext4Mount.WriteFlags.NONE);
            f.ext4.write(other, ino, 12, HELLO, Ext4Mount.WriteFlags.NONE);
            List<TraceEvent> o = f.events("demo").stream().filter(e -> e.pid() == 1235).toList();
            assertThat(o.getFirst().cpu()).isNotEqualTo(f.events("demo").getFirst().cpu());
            // i_size grows: ext4_dirty_inode's mark gets the inode table buffer, the first time on this cpu
            assertThat(names(o)).containsSubsequence("ext4_da_write_end", "block_dirty_buffer", "ext4_mark_inode_dirty")
                    .doesNotContain("block_touch_buffer");
            f.ext4.write(other, ino, 24, HELLO, Ext4Mount.WriteFlags.NONE);
            List<TraceEvent> again = f.events("demo").stream().filter(e -> e.pid() == 1235).skip(o.size()).toList();
            assertThat(names(again)).containsSubsequence("ext4_mark_inode_dirty", "block_touch_buffer");
        }
    }

    @Test
    void theLruOfACpuHoldsSixteenBuffersMostRecentFirst() {
        RecordingTraceSink sink = new RecordingTraceSink();
        BufferHeads bh = new BufferHeads(new Ext4Trace(new Tracer("ext4-service", new ManualClock().traceClock(), sink, 2),
                Ext4Trace.devT(8, 1), "8:0"));
        TraceContext ctx = TraceContext.of(new Task("demo", 1234));
        for (long b = 1; b <= BufferHeads.BH_LRU_SIZE; b++) {
            bh.getblk(ctx, b);
        }
        assertThat(sink.events()).isEmpty();
        bh.getblk(ctx, 1); // a hit moves to the head: block 2 is now the oldest
        assertThat(sink.events()).extracting(TraceEvent::text).containsExactly(buffer(1));
        bh.getblk(ctx, 100); // pushes block 2 out
        bh.getblk(ctx, 2);   // a miss, installed again: pushes block 3 out
        bh.getblk(ctx, 3);
        assertThat(sink.events()).hasSize(1);
        bh.getblk(ctx, 100);
        bh.getblk(ctx, 16);
        assertThat(sink.events()).extracting(TraceEvent::text).containsExactly(buffer(1), buffer(100), buffer(16));
        assertThat(sink.events().getLast().event()).isEqualTo("block_touch_buffer");
        assertThat(sink.events().getLast().fields()).containsKeys("dev", "sector", "size");
        bh.markBufferDirty(ctx, BufferHeads.INVALID_BLOCK);
        assertThat(sink.events().getLast().event()).isEqualTo("block_dirty_buffer");
        assertThat(sink.events().getLast().text()).isEqualTo("8,1 sector=18446744073709486080 size=4096");
        assertThat(sink.events().getLast().system()).isEqualTo("block");
    }

    @Test
    void truncateAndUnlinkGetTheBitmapsTheyFreeInAndDirtyTheTailPage() {
        Group0 g0 = Group0.of(Ext4Fixture.format(dir.resolve("sda1.img"), 64L << 20));
        try (Ext4Fixture f = new Ext4Fixture(dir.resolve("sda1.img"))) {
            TraceContext w = Ext4Fixture.writer("demo", 1234);
            int ino = hello(f, w, "hello");
            long data = f.block.submitted().getLast().bio().block();
            f.sink.clear();
            // ext4_block_truncate_page zeroes the tail of the written block and dirties its buffer
            f.ext4.truncate(w, ino, 5);
            assertThat(texts(f.events("demo"), "block_dirty_buffer")).containsExactly(buffer(data));
            f.ext4.truncate(w, ino, 0);
            List<TraceEvent> t = f.events("demo");
            // ext4_free_blocks reads the block bitmap of the group it frees in
            assertThat(names(t)).containsSubsequence("ext4_truncate_enter", "ext4_journal_start", "block_touch_buffer",
                    "ext4_mark_inode_dirty", "block_touch_buffer", "ext4_truncate_exit");
            assertThat(texts(t, "block_touch_buffer")).contains(buffer(g0.blockBitmap()));
            f.sink.clear();
            f.ext4.release(w, ino, true);
            f.ext4.unlink(w, Ext4.ROOT_INO, "hello");
            // ext4_free_inode reads the inode bitmap after its event
            List<TraceEvent> u = f.events("demo");
            int free = names(u).indexOf("ext4_free_inode");
            assertThat(u.get(free + 1).event()).isEqualTo("block_touch_buffer");
            assertThat(u.get(free + 1).text()).isEqualTo(buffer(g0.inodeBitmap()));
            f.unmountAndCheck();
        }
    }
}
