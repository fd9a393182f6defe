package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ext4.port.WritebackPort;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed program's writers under ext4sim.kernel=6.x, up to their fsync: the event names, orders and texts of this
 * machine's 6.18 capture (demo-1394, -1395 and -1396: open(O_CREAT), write of 12 bytes), with the fixture's blocks.
 */
class Kernel6xTraceTest {
    @TempDir
    Path dir;

    /** The path walk's ext4_lookup of the new name, the mount's first: the root's block 0 mapped from i_block. */
    static final List<String> LOOKUP_FIRST = List.of("ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "ext4_ext_map_blocks_enter", "ext4_es_cache_extent", "ext4_ext_show_extent", "ext4_ext_map_blocks_exit",
            "ext4_es_insert_extent");
    /** Later lookups: a status-tree hit, and ext4_getblk's buffer in the cpu's bh LRU. */
    static final List<String> LOOKUP = List.of("ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "block_touch_buffer");
    /**
     * ext4_create's one handle, the mount's first: __ext4_new_inode loads the group's inode bitmap (the read's block
     * events come from blockdev-service, not from this fixture), ext4_ext_tree_init's mark misses the bh LRU.
     */
    static final List<String> CREATE_FIRST = List.of("ext4_request_inode", "ext4_load_inode_bitmap",
            "ext4_journal_start_sb", "ext4_mark_inode_dirty", "block_touch_buffer", "ext4_mark_inode_dirty",
            "block_touch_buffer", "ext4_allocate_inode", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "block_touch_buffer", "ext4_mark_inode_dirty", "block_touch_buffer", "ext4_mark_inode_dirty",
            "block_touch_buffer");
    /** Later creates: the inode bitmap's buffer is uptodate and in the bh LRU. */
    static final List<String> CREATE = List.of("ext4_request_inode", "block_touch_buffer",
            "ext4_journal_start_sb", "ext4_mark_inode_dirty", "block_touch_buffer", "ext4_mark_inode_dirty",
            "block_touch_buffer", "ext4_allocate_inode", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "block_touch_buffer", "ext4_mark_inode_dirty", "block_touch_buffer", "ext4_mark_inode_dirty",
            "block_touch_buffer");
    /** ext4_file_open's ext4_sample_last_mounted, once a mount. */
    static final List<String> OPEN_FIRST = List.of("ext4_journal_start_sb");
    /**
     * A task's first write: the copy from its unmapped buffer comes up empty, the new (delayed) buffer is zeroed and
     * dirties the folio, then write_begin/write_end again with the bytes.
     */
    static final List<String> WRITE = List.of("ext4_da_write_begin",
            "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "ext4_ext_map_blocks_enter", "ext4_es_find_extent_range_enter", "ext4_es_find_extent_range_exit",
            "ext4_es_insert_extent", "ext4_ext_map_blocks_exit",
            "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "ext4_da_reserve_space", "ext4_es_insert_delayed_extent",
            "ext4_da_write_end", "block_dirty_buffer", "writeback_dirty_folio", "track_foreign_dirty",
            "writeback_mark_inode_dirty",
            "ext4_da_write_begin", "ext4_da_write_end", "block_dirty_buffer");

    private static String text(List<TraceEvent> events, String name, int nth) {
        return events.stream().filter(e -> e.event().equals(name)).skip(nth).findFirst().orElseThrow().text();
    }

    private static List<String> texts(List<TraceEvent> events, String name) {
        return events.stream().filter(e -> e.event().equals(name)).map(TraceEvent::text).toList();
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        return Stream.of(parts).flatMap(List::stream).toList();
    }

    /** open(name, O_CREAT|O_RDWR) and write(12 bytes) in task {@code pid}; its events. */
    private static List<TraceEvent> createAndWrite(Ext4Fixture f, int pid, String name) {
        TraceContext demo = Ext4Fixture.writer(SeedTraceTest.DEMO, pid);
        assertThatThrownBy(() -> f.ext4.lookup(demo, Ext4.ROOT_INO, name)).isInstanceOf(ErrnoException.class);
        int ino = f.ext4.create(demo, Ext4.ROOT_INO, name, 0644);
        f.ext4.open(demo, ino, true);
        assertThat(f.ext4.write(demo, ino, 0, SeedTraceTest.HELLO, Ext4Mount.WriteFlags.NONE).written()).isEqualTo(12);
        return f.sink.events().stream().filter(e -> e.pid() == pid).toList();
    }

    @Test
    void theSeedsWritersFollowThe618Capture() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20, KernelProfile.V6X)) {
            // the capture's three writers ran on one cpu, and so share its bh LRU: pids the tracer puts on one cpu
            List<TraceEvent> first = createAndWrite(f, 1394, "hello");
            List<TraceEvent> osync = createAndWrite(f, 1396, "hello-osync");
            List<TraceEvent> fsync = createAndWrite(f, 1398, "hello-fsync");
            assertThat(Stream.of(first, osync, fsync).map(l -> l.getFirst().cpu()).distinct()).hasSize(1);

            assertThat(first).extracting(TraceEvent::event)
                    .containsExactlyElementsOf(concat(LOOKUP_FIRST, CREATE_FIRST, OPEN_FIRST, WRITE));
            assertThat(osync).extracting(TraceEvent::event).containsExactlyElementsOf(concat(LOOKUP, CREATE, WRITE));
            assertThat(fsync).extracting(TraceEvent::event).containsExactlyElementsOf(concat(LOOKUP, CREATE, WRITE));

            long root = Long.parseLong(text(first, "ext4_ext_show_extent", 0).split(" ")[7]);
            assertThat(text(first, "ext4_es_cache_extent", 0)).isEqualTo("dev 8,1 ino 2 es [0/1) mapped " + root + " status W");
            // ext4_es_lookup_extent copies the extent before it sets the referenced bit: the first hit prints W
            assertThat(texts(first, "ext4_es_lookup_extent_exit").get(1)).isEqualTo("dev 8,1 ino 2 found 1 [0/1) " + root + " W");
            assertThat(texts(osync, "ext4_es_lookup_extent_exit").get(0)).isEqualTo("dev 8,1 ino 2 found 1 [0/1) " + root + " WR");
            assertThat(text(first, "ext4_load_inode_bitmap", 0)).isEqualTo("dev 8,1 group 0");
            // the writer reads the root's block 0, then the inode bitmap (later creates touch it before their handle), both
            // as ext4_read_bh's REQ_META reads
            List<FakeBlockPort.Read> demoReads = f.block.reads().stream().filter(r -> r.comm().equals(SeedTraceTest.DEMO)).toList();
            assertThat(demoReads).hasSize(2).allMatch(FakeBlockPort.Read::meta);
            assertThat(demoReads.get(0).block()).isEqualTo(root);
            long inodeBitmap = demoReads.get(1).block();
            assertThat(texts(osync, "block_touch_buffer").get(1)).isEqualTo("8,1 sector=" + inodeBitmap + " size=4096");

            assertThat(text(first, "ext4_journal_start_sb", 0)).isEqualTo(
                    "dev 8,1 blocks 46, rsv_blocks 0, revoke_creds 8, type 4, caller __ext4_new_inode+0xd42/0x17e0");
            assertThat(texts(first, "ext4_mark_inode_dirty")).containsExactly(
                    "dev 8,1 ino 12 caller __ext4_new_inode+0x17bc/0x17e0",
                    "dev 8,1 ino 12 caller __ext4_new_inode+0xc7f/0x17e0",
                    "dev 8,1 ino 2 caller add_dirent_to_buf+0x105/0x1b0",
                    "dev 8,1 ino 12 caller ext4_add_nondir+0x93/0xf0");
            assertThat(text(first, "ext4_journal_start_sb", 1)).isEqualTo(
                    "dev 8,1 blocks 1, rsv_blocks 0, revoke_creds 8, type 0, caller ext4_file_open+0x2c1/0x520");
            assertThat(f.journal.started()).extracting(FakeJournal.Started::type, FakeJournal.Started::credits,
                            FakeJournal.Started::lineNo)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(Super.HT_DIR, 46, 2827),
                            org.assertj.core.groups.Tuple.tuple(Super.HT_MISC, 1, 869),
                            org.assertj.core.groups.Tuple.tuple(Super.HT_DIR, 46, 2827),
                            org.assertj.core.groups.Tuple.tuple(Super.HT_DIR, 46, 2827));

            assertThat(texts(first, "ext4_da_write_begin")).containsOnly("dev 8,1 ino 12 pos 0 len 12");
            assertThat(texts(first, "ext4_es_lookup_extent_exit").subList(2, 4)).containsExactly(
                    "dev 8,1 ino 12 found 0 [0/0) 0 ", "dev 8,1 ino 12 found 1 [0/4294967295) 0 H");
            assertThat(text(first, "ext4_da_reserve_space", 0))
                    .isEqualTo("dev 8,1 ino 12 mode 0100644 i_blocks 0 reserve_blocks 1reserved_data_blocks 1");
            assertThat(texts(first, "ext4_da_write_end")).containsExactly(
                    "dev 8,1 ino 12 pos 0 len 12 copied 0", "dev 8,1 ino 12 pos 0 len 12 copied 12");
            assertThat(texts(first, "block_dirty_buffer")).containsOnly("8,1 sector=18446744073709486080 size=4096");
            assertThat(text(first, "writeback_dirty_folio", 0)).isEqualTo("bdi 8:0: ino=12 index=0");
            assertThat(text(first, "track_foreign_dirty", 0))
                    .isEqualTo("bdi 8:0[1]: ino=12 memcg_id=1 cgroup_ino=1 page_cgroup_ino=23861");
            assertThat(text(first, "writeback_mark_inode_dirty", 0)).isEqualTo("bdi 8:0: ino=12 state= flags=I_DIRTY_PAGES");

            // the flusher hears of the pages only: no i_size mark after the copy, so no inode bits to write back
            assertThat(f.writeback.dirtied).extracting(WritebackPort.InodeDirtied::flags).containsOnly(Flags.I_DIRTY_PAGES);
            assertThat(f.writeback.dirtied).extracting(WritebackPort.InodeDirtied::ino).containsExactly(12L, 13L, 14L);

            // the bytes, and s_last_mounted in the superblock the open journaled
            assertThat(f.ext4.read(Ext4Fixture.writer(SeedTraceTest.DEMO, 1394), 12, 0, 12)).isEqualTo(SeedTraceTest.HELLO);
            f.unmountAndCheck();
            assertThat(E2fsprogs.debugfs(f.image, "stats").output()).containsPattern("Last mounted on:\\s+/\\n");
        }
    }

    @Test
    void aNewTasksOverwriteOfAnAllocatedPageDirtiesNothingInItsEmptyRound() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20, KernelProfile.V6X)) {
            TraceContext first = Ext4Fixture.writer(SeedTraceTest.DEMO, 77);
            int ino = f.ext4.create(first, Ext4.ROOT_INO, "a", 0644);
            f.ext4.open(first, ino, true);
            f.ext4.write(first, ino, 0, SeedTraceTest.HELLO, Ext4Mount.WriteFlags.NONE);
            f.flushAll();
            TraceContext other = Ext4Fixture.writer("other", 78);
            byte[] bytes = "HELLO".getBytes(StandardCharsets.US_ASCII);
            f.ext4.write(other, ino, 0, bytes, Ext4Mount.WriteFlags.NONE);
            List<TraceEvent> w = f.events("other");
            // the page is uptodate and its buffer mapped to the written block: no new buffer to zero and dirty
            assertThat(w).extracting(TraceEvent::event).containsExactly("ext4_da_write_begin", "ext4_da_write_end",
                    "ext4_da_write_begin", "ext4_da_write_end", "block_dirty_buffer", "writeback_dirty_folio",
                    "track_foreign_dirty", "writeback_mark_inode_dirty");
            assertThat(texts(w, "ext4_da_write_end")).containsExactly("dev 8,1 ino 12 pos 0 len 5 copied 0",
                    "dev 8,1 ino 12 pos 0 len 5 copied 5");
            assertThat(text(w, "block_dirty_buffer", 0)).doesNotContain("18446744073709486080");
            assertThat(f.ext4.read(other, ino, 0, 12)).isEqualTo("HELLO world\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aTasksSecondWriteCopiesAtOnce() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20, KernelProfile.V6X)) {
            TraceContext demo = Ext4Fixture.writer(SeedTraceTest.DEMO, 77);
            int ino = f.ext4.create(demo, Ext4.ROOT_INO, "a", 0644);
            f.ext4.open(demo, ino, true);
            f.ext4.write(demo, ino, 0, SeedTraceTest.HELLO, Ext4Mount.WriteFlags.NONE);
            int before = f.events(SeedTraceTest.DEMO).size();
            byte[] more = "again\n".getBytes(StandardCharsets.US_ASCII);
            f.ext4.write(demo, ino, 12, more, Ext4Mount.WriteFlags.NONE);
            List<TraceEvent> second = f.events(SeedTraceTest.DEMO).subList(before, f.events(SeedTraceTest.DEMO).size());
            // the page holds its delayed block already: no mapping, and the buffer is dirty (traced again)
            assertThat(second).extracting(TraceEvent::event)
                    .containsExactly("ext4_da_write_begin", "ext4_da_write_end", "block_dirty_buffer");
            assertThat(text(second, "ext4_da_write_end", 0)).isEqualTo("dev 8,1 ino 12 pos 12 len 6 copied 6");
            assertThat(f.ext4.getattr(demo, ino).size()).isEqualTo(18);
        }
    }
}
