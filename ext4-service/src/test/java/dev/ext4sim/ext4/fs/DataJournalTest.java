package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ondisk.E2fsprogs;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data=journal mount (4.19's ext4_journalled_aops): ext4_write_begin allocates and takes write access to the page's
 * buffer, ext4_journalled_write_end logs it in the same handle, and no page ever goes dirty; fsync is a forced commit;
 * O_DIRECT falls back to that buffered path; freed blocks are forgotten, not revoked.
 */
class DataJournalTest {
    static final String W = "w";
    static final MountOptions JOURNAL = MountOptions.parse("data=journal");
    static final Ext4Mount.WriteFlags DIRECT = new Ext4Mount.WriteFlags(false, false, false, true);

    @TempDir
    Path dir;

    private static long pblk(Ext4Fixture f, int ino, long lblk) {
        return NodelallocTest.extentsOnDisk(f.image, ino).stream().filter(e -> e.contains(lblk)).findFirst().orElseThrow()
                .map(lblk);
    }

    @Test
    void aBufferedWriteLogsItsPagesAndDirtiesNone() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20, JOURNAL)) {
            TraceContext w = Ext4Fixture.writer(W, 9);
            int ino = f.createOpen(w, "f");
            int mark = f.mark();
            int commits = f.journal.commits().size();

            f.ext4.write(w, ino, 0, NodelallocTest.filled(8192, 'j'), Ext4Mount.WriteFlags.NONE);

            List<TraceEvent> ev = f.since(W, mark);
            List<String> ext4 = ev.stream().filter(e -> e.system().equals("ext4")).map(TraceEvent::event)
                    .filter(n -> n.endsWith("write_begin") || n.endsWith("write_end") || n.equals("ext4_journal_start"))
                    .toList();
            assertThat(ext4).containsExactly("ext4_write_begin", "ext4_journal_start", "ext4_journalled_write_end",
                    "ext4_write_begin", "ext4_journal_start", "ext4_journalled_write_end");
            // ext4_writepage_trans_blocks (8, and the page's block under data=journal) + 1
            assertThat(Ext4Fixture.text(ev, "ext4_journal_start", 0)).isEqualTo("dev 8,1 blocks, 10 rsv_blocks, 0 caller ext4_write_begin+0x15c/0x560");
            assertThat(Ext4Fixture.text(ev, "ext4_journalled_write_end", 0)).isEqualTo("dev 8,1 ino 12 pos 0 len 4096 copied 4096");
            assertThat(ev).filteredOn(e -> e.event().equals("ext4_mark_inode_dirty"))
                    .extracting(TraceEvent::text).contains("dev 8,1 ino 12 caller ext4_journalled_write_end+0x1e0/0x4a0");
            // nothing for writeback: the pages are clean, their buffers the journal's
            assertThat(Ext4Fixture.names(ev)).doesNotContain("writeback_dirty_page", "block_dirty_buffer", "ext4_da_write_begin");
            assertThat(f.ext4.dirtyInodes()).allSatisfy(d -> assertThat(d.ino()).isNotEqualTo(ino));
            assertThat(f.journal.registered).isEmpty(); // nothing for data=ordered's T_FLUSH
            assertThat(f.journal.commits()).hasSize(commits);

            mark = f.mark();
            int flushes = f.block.flushes().size();
            f.ext4.fsync(w, ino, false);

            // ext4_force_commit: the commit logs both pages' blocks, which makes them durable (the fake writes home)
            assertThat(f.journal.commits()).hasSize(commits + 1);
            assertThat(f.journal.logged().getLast()).contains(pblk(f, ino, 0), pblk(f, ino, 1));
            assertThat(NodelallocTest.blockOnDisk(f.image, pblk(f, ino, 1))).isEqualTo(NodelallocTest.filled(4096, 'j'));
            assertThat(Ext4Fixture.names(f.since(W, mark))).contains("ext4_sync_file_enter", "ext4_sync_file_exit")
                    .doesNotContain("block_rq_issue");
            assertThat(f.block.flushes()).hasSize(flushes); // the commit block is the barrier
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
            assertThat(E2fsprogs.debugfs(f.image, "cat /f").stdout()).isEqualTo(NodelallocTest.filled(8192, 'j'));
        }
    }

    @Test
    void oDirectFallsBackToTheBufferedPathWithoutAskingForAlignment() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20, JOURNAL)) {
            TraceContext w = Ext4Fixture.writer(W, 9);
            int ino = f.createOpen(w, "d");
            f.ext4.write(w, ino, 0, NodelallocTest.filled(4096, 'a'), DIRECT);
            int mark = f.mark();

            // misaligned: 4.x's EINVAL comes from do_blockdev_direct_IO, which data=journal never reaches
            Ext4Mount.WriteResult r = f.ext4.write(w, ino, 100, NodelallocTest.filled(10, 'b'), DIRECT);

            assertThat(r.written()).isEqualTo(10);
            List<String> ev = Ext4Fixture.names(f.since(W, mark));
            assertThat(ev).doesNotContain("ext4_direct_IO_enter", "ext4_direct_IO_exit")
                    .containsSubsequence("ext4_es_lookup_extent_enter", "ext4_writepages", "ext4_writepages_result",
                            "ext4_releasepage", "ext4_write_begin", "ext4_journalled_write_end", "ext4_writepages",
                            "ext4_writepages_result", "ext4_releasepage");
            // the page jbd2 holds stays cached: the home block is older than the journal's copy until a checkpoint
            byte[] expect = NodelallocTest.filled(4096, 'a');
            java.util.Arrays.fill(expect, 100, 110, (byte) 'b');
            assertThat(f.ext4.read(w, ino, 0, 4096)).isEqualTo(expect);

            // an AIO on it is done at submission, its bytes the result
            Ext4Mount.WriteResult aio = f.ext4.writeAio(w, ino, 4096, NodelallocTest.filled(4096, 'c'), DIRECT, 1);
            assertThat(aio.written()).isEqualTo(4096);
            f.ext4.fsync(w, ino, false);
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
            byte[] all = new byte[8192];
            System.arraycopy(expect, 0, all, 0, 4096);
            java.util.Arrays.fill(all, 4096, 8192, (byte) 'c');
            assertThat(E2fsprogs.debugfs(f.image, "cat /d").stdout()).isEqualTo(all);
        }
    }

    @Test
    void journaledPagesStayCachedUnderMemoryPressure() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20, JOURNAL)) {
            f.ext4.pageCacheLimit(4 * 4096);
            TraceContext w = Ext4Fixture.writer(W, 9);
            int ino = f.createOpen(w, "p");
            f.ext4.write(w, ino, 0, NodelallocTest.filled(8 * 4096, 'p'), Ext4Mount.WriteFlags.NONE);
            assertThat(f.ext4.pageCacheStats()[0]).isEqualTo(8); // over the limit, none reclaimable
            assertThat(f.ext4.pageCacheStats()[1]).isZero();
            assertThat(f.ext4.read(w, ino, 7 * 4096, 4096)).isEqualTo(NodelallocTest.filled(4096, 'p'));
            f.ext4.release(w, ino, true);
        }
    }

    @Test
    void truncateLogsTheZeroedTailAndForgetsTheFreedBlocks() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20, JOURNAL)) {
            TraceContext w = Ext4Fixture.writer(W, 9);
            int ino = f.createOpen(w, "t");
            f.ext4.write(w, ino, 0, NodelallocTest.filled(8192, 't'), Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(w, ino, false);
            long first = pblk(f, ino, 0);
            long second = pblk(f, ino, 1);
            int commits = f.journal.commits().size();

            f.ext4.truncate(w, ino, 100);
            f.ext4.fsync(w, ino, false);

            assertThat(f.journal.forgotten).containsExactly(second);
            assertThat(f.journal.commits()).hasSize(commits + 1);
            assertThat(f.journal.logged().getLast()).contains(first).doesNotContain(second);
            byte[] tail = new byte[4096];
            java.util.Arrays.fill(tail, 0, 100, (byte) 't');
            assertThat(NodelallocTest.blockOnDisk(f.image, first)).isEqualTo(tail);
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
            assertThat(E2fsprogs.debugfs(f.image, "cat /t").stdout()).isEqualTo(java.util.Arrays.copyOf(tail, 100));
        }
    }
}
