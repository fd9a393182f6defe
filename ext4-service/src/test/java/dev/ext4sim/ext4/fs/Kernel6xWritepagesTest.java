package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ext4.port.WritebackControl;
import dev.ext4sim.ondisk.ext4.Ext4;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.Extent;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 6.x's dioread_nolock writeback of the seed program: fsync's and the flusher's ext4_do_writepages allocate the extent
 * unwritten, and the ext4-rsv-conversion worker converts it after the data I/O, as this machine's 6.18 capture orders
 * the events (the block layer's and jbd2's events are other services' and not in these lists).
 */
class Kernel6xWritepagesTest {
    private static final String WORKER = ConvertUnwritten.RSV_CONVERSION_WORKER.comm();

    /** From ext4_sync_file_enter of an fsync of the freshly written file to the close's discard. */
    static final List<String> FSYNC = List.of(
            "ext4_sync_file_enter", "ext4_writepages", "ext4_journal_start_inode", "ext4_da_write_folios_start",
            "ext4_da_write_pages_extent", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "ext4_ext_map_blocks_enter", "ext4_request_blocks", "ext4_mb_new_group_pa", "ext4_mballoc_alloc",
            "ext4_allocate_blocks", "ext4_mark_inode_dirty", "block_touch_buffer", "ext4_ext_map_blocks_exit",
            "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit", "ext4_es_insert_extent",
            "ext4_da_update_reserve_space", "writeback_mark_inode_dirty", "writeback_dirty_inode_start",
            "ext4_journal_start_inode", "ext4_mark_inode_dirty", "block_touch_buffer", "writeback_dirty_inode",
            "sb_mark_inode_writeback", "ext4_mark_inode_dirty", "block_touch_buffer", "ext4_da_write_folios_end",
            "ext4_writepages_result", "folio_wait_writeback", "ext4_sync_file_exit", "ext4_discard_preallocations");

    /** The worker's conversion; the first ext4_mark_inode_dirty's buffer is in its cpu's bh LRU or not. */
    static final List<String> CONVERSION_HEAD = List.of(
            "ext4_journal_start_reserved", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "ext4_ext_map_blocks_enter", "ext4_ext_show_extent", "ext4_ext_handle_unwritten_extents",
            "ext4_mark_inode_dirty");
    static final List<String> CONVERSION_TAIL = List.of(
            "ext4_ext_map_blocks_exit", "ext4_es_insert_extent", "ext4_mark_inode_dirty", "block_touch_buffer",
            "sb_clear_inode_writeback");

    /**
     * The flusher's pass over a closed file: as fsync's, with the discard once nothing is reserved (a closed file keeps
     * its locality-group preallocation in 6.x).
     */
    static final List<String> FLUSHER = List.of(
            "ext4_writepages", "ext4_journal_start_inode", "ext4_da_write_folios_start", "ext4_da_write_pages_extent",
            "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit", "ext4_ext_map_blocks_enter",
            "ext4_request_blocks", "ext4_mb_new_group_pa", "ext4_mballoc_alloc", "ext4_allocate_blocks", "ext4_mark_inode_dirty",
            "block_touch_buffer", "ext4_ext_map_blocks_exit", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "ext4_es_insert_extent", "ext4_da_update_reserve_space", "writeback_mark_inode_dirty",
            "writeback_dirty_inode_start", "ext4_journal_start_inode", "ext4_mark_inode_dirty", "block_touch_buffer",
            "writeback_dirty_inode", "ext4_discard_preallocations", "sb_mark_inode_writeback", "ext4_mark_inode_dirty",
            "block_touch_buffer", "ext4_da_write_folios_end", "ext4_writepages_result");

    @TempDir
    Path dir;

    private static List<TraceEvent> from(Ext4Fixture f, int mark, String comm) {
        return f.sink.events().subList(mark, f.sink.events().size()).stream().filter(e -> e.comm().equals(comm)).toList();
    }

    private static List<String> names(List<TraceEvent> events) {
        return events.stream().map(TraceEvent::event).toList();
    }

    private static String text(List<TraceEvent> events, String name, int nth) {
        return events.stream().filter(e -> e.event().equals(name)).skip(nth).findFirst().orElseThrow().text();
    }

    private static void assertConversion(List<String> names) {
        assertThat(names.subList(0, CONVERSION_HEAD.size())).containsExactlyElementsOf(CONVERSION_HEAD);
        List<String> rest = names.subList(CONVERSION_HEAD.size(), names.size());
        if (!rest.isEmpty() && rest.getFirst().equals("block_touch_buffer")) {
            rest = rest.subList(1, rest.size());
        }
        assertThat(rest).containsExactlyElementsOf(CONVERSION_TAIL);
    }

    private static Extent onlyExtent(Path image, int ino) {
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            List<Extent> extents = fs.extents().extents(fs.inodes().read(ino));
            assertThat(extents).hasSize(1);
            return extents.getFirst();
        }
    }

    @Test
    void fsyncWritesTheExtentUnwrittenAndTheWorkerConvertsItBeforeFsyncReturns() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20, KernelProfile.V6X)) {
            TraceContext demo = Ext4Fixture.writer(SeedTraceTest.DEMO, 1396);
            int ino = f.ext4.create(demo, Ext4.ROOT_INO, "hello-fsync", 0644);
            f.ext4.open(demo, ino, true);
            f.ext4.write(demo, ino, 0, SeedTraceTest.HELLO, Ext4Mount.WriteFlags.NONE);
            int mark = f.sink.events().size();
            f.ext4.fsync(demo, ino, false);
            f.ext4.release(demo, ino, true);

            List<TraceEvent> w = from(f, mark, SeedTraceTest.DEMO);
            assertThat(names(w)).containsExactlyElementsOf(FSYNC);
            assertThat(text(w, "ext4_journal_start_inode", 0)).isEqualTo("dev 8,1 blocks 20, rsv_blocks 18, revoke_creds 8, "
                    + "type 2, ino 12, caller ext4_do_writepages+0x4a2/0xfa0");
            assertThat(text(w, "ext4_da_write_folios_start", 0))
                    .isEqualTo("dev 8,1 ino 12 start_pos 0x0 next_pos 0x1000 nr_to_write 9223372036854775807 sync_mode 1");
            assertThat(text(w, "ext4_da_write_pages_extent", 0)).isEqualTo("dev 8,1 ino 12 lblk 0 len 1 flags 0x100");
            assertThat(text(w, "ext4_ext_map_blocks_enter", 0)).isEqualTo("dev 8,1 ino 12 lblk 0 len 1 flags "
                    + "CREATE|UNWRIT|DELALLOC|PRE_IO|METADATA_NOFAIL|IO_SUBMIT|EX_NOCACHE");
            assertThat(text(w, "ext4_ext_map_blocks_exit", 0)).contains(" mflags NMU ret 1");
            assertThat(text(w, "ext4_es_lookup_extent_exit", 1)).isEqualTo("dev 8,1 ino 12 found 1 [0/1) 0 DR");
            assertThat(text(w, "ext4_es_insert_extent", 0)).matches("dev 8,1 ino 12 es \\[0/1\\) mapped \\d+ status U");
            assertThat(text(w, "ext4_mark_inode_dirty", 0)).endsWith("caller ext4_ext_insert_extent+0x7cf/0x14b0");
            assertThat(text(w, "ext4_mark_inode_dirty", 2)).endsWith("caller ext4_do_writepages+0xc53/0xfa0");
            assertThat(text(w, "ext4_da_write_folios_end", 0))
                    .isEqualTo("dev 8,1 ino 12 start_pos 0x1000 next_pos 0x1000 nr_to_write 9223372036854775806 ret 0");
            assertThat(text(w, "folio_wait_writeback", 0)).isEqualTo("bdi 8:0: ino=12 index=0");
            assertThat(text(w, "ext4_discard_preallocations", 0)).isEqualTo("dev 8,1 ino 12 len: 0");

            List<TraceEvent> k = from(f, mark, WORKER);
            assertConversion(names(k));
            assertThat(text(k, "ext4_journal_start_reserved", 0))
                    .isEqualTo("dev 8,1 blocks, 18 caller ext4_convert_unwritten_io_end_vec+0x2d/0x100");
            assertThat(text(k, "ext4_es_lookup_extent_exit", 0)).matches("dev 8,1 ino 12 found 1 \\[0/1\\) \\d+ U");
            assertThat(text(k, "ext4_ext_handle_unwritten_extents", 0)).matches("dev 8,1 ino 12 m_lblk 0 m_pblk \\d+ m_len 1 "
                    + "flags CREATE\\|UNWRIT\\|CONVERT\\|METADATA_NOFAIL\\|IO_SUBMIT\\|EX_NOCACHE allocated 1 newblock \\d+");
            assertThat(text(k, "ext4_ext_map_blocks_exit", 0)).endsWith(" mflags M ret 1");
            assertThat(text(k, "ext4_es_insert_extent", 0)).endsWith("status W");
            assertThat(text(k, "ext4_mark_inode_dirty", 1)).endsWith("caller ext4_convert_unwritten_extents+0x190/0x260");

            // the conversion's handle is jbd2's EXT4_HT_EXT_CONVERT, started in the worker, and fsync's commit took it
            assertThat(f.journal.started()).contains(new FakeJournal.Started(WORKER, Super.HT_EXT_CONVERT, 18, 5087));
            assertThat(f.journal.commits()).hasSize(1);
            assertThat(f.journal.pendingBuffers()).isZero();
            // an unwritten extent is not data=ordered's: the commit fsync waited for wrote no data itself
            assertThat(f.block.submitted()).extracting(FakeBlockPort.Submitted::comm)
                    .containsOnly(Ext4Fixture.MOUNT.task().comm(), SeedTraceTest.DEMO);
            f.unmountAndCheck();
            Extent e = onlyExtent(f.image, ino);
            assertThat(e.unwritten()).isFalse();
        }
        try (Ext4Fixture again = new Ext4Fixture(dir.resolve("sda1.img"), KernelProfile.V6X)) {
            TraceContext r = Ext4Fixture.writer("cat", 7);
            assertThat(again.ext4.read(r, again.ext4.lookupPath(r, "/hello-fsync"), 0, 12)).isEqualTo(SeedTraceTest.HELLO);
        }
    }

    @Test
    void theFlusherWritesAClosedFileUnwrittenAndItsConversionFollows() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20, KernelProfile.V6X)) {
            TraceContext demo = Ext4Fixture.writer(SeedTraceTest.DEMO, 1394);
            int ino = f.ext4.create(demo, Ext4.ROOT_INO, "hello", 0644);
            f.ext4.open(demo, ino, true);
            f.ext4.write(demo, ino, 0, SeedTraceTest.HELLO, Ext4Mount.WriteFlags.NONE);
            f.ext4.release(demo, ino, true);
            int mark = f.sink.events().size();
            f.ext4.writepages(Ext4Fixture.KWORKER, ino, WritebackControl.periodic(12288));
            // the bio waits in the flusher's plug: no conversion until its round ends
            assertThat(from(f, mark, WORKER)).isEmpty();
            f.ext4.finishPlug(Ext4Fixture.KWORKER);

            List<TraceEvent> k = from(f, mark, Ext4Fixture.KWORKER.task().comm());
            assertThat(names(k)).containsExactlyElementsOf(FLUSHER);
            assertThat(text(k, "ext4_da_write_folios_end", 0))
                    .isEqualTo("dev 8,1 ino 12 start_pos 0x1000 next_pos 0x1000 nr_to_write 12287 ret 0");
            assertConversion(names(from(f, mark, WORKER)));
            assertThat(f.ext4.hasDirtyPages(ino)).isFalse();
            f.journal.commit();
            f.unmountAndCheck();
            assertThat(onlyExtent(f.image, ino).unwritten()).isFalse();
        }
    }

    @Test
    void aCrashBetweenTheDataWriteAndTheConversionLeavesAnUnwrittenExtentThatReadsZeros() {
        Path image;
        int ino;
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20, KernelProfile.V6X)) {
            image = f.image;
            TraceContext demo = Ext4Fixture.writer(SeedTraceTest.DEMO, 1394);
            ino = f.ext4.create(demo, Ext4.ROOT_INO, "hello", 0644);
            f.ext4.open(demo, ino, true);
            f.ext4.write(demo, ino, 0, SeedTraceTest.HELLO, Ext4Mount.WriteFlags.NONE);
            f.ext4.release(demo, ino, true);
            f.ext4.crashPoints(point -> {
                if (point.equals(Ext4CrashPoints.END_IO_BEFORE_CONVERSION)) {
                    throw new IllegalStateException("crashed at " + point);
                }
            });
            f.ext4.writepages(Ext4Fixture.KWORKER, ino, WritebackControl.periodic(12288));
            assertThatThrownBy(() -> f.ext4.finishPlug(Ext4Fixture.KWORKER))
                    .hasMessageContaining(Ext4CrashPoints.END_IO_BEFORE_CONVERSION);
            // the data is on the device; the writepages handle (unwritten extent, i_disksize) commits, nothing after
            List<FakeBlockPort.Submitted> data = f.block.submitted().stream()
                    .filter(b -> b.comm().equals(Ext4Fixture.KWORKER.task().comm())).toList();
            assertThat(data).hasSize(1);
            long pblk = data.getFirst().bio().block();
            assertThat(f.journal.commit()).isTrue();
            assertThat(f.journal.started()).extracting(FakeJournal.Started::type).doesNotContain(Super.HT_EXT_CONVERT);
            f.dev.close();
            Extent e = onlyExtent(image, ino);
            assertThat(e.unwritten()).isTrue();
            assertThat(e.pblk()).isEqualTo(pblk);
        }
        try (Ext4Fixture after = new Ext4Fixture(image, KernelProfile.V6X)) {
            TraceContext r = Ext4Fixture.writer("cat", 7);
            int found = after.ext4.lookupPath(r, "/hello");
            assertThat(found).isEqualTo(ino);
            assertThat(after.ext4.read(r, found, 0, 12)).containsOnly(0).hasSize(12);
            after.unmountAndCheck();
        }
    }
}
