package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.Extent;
import dev.ext4sim.ondisk.ext4.Inode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nodelalloc mount (4.19's ext4_aops): ext4_write_begin allocates each page's block with CREATE in its handle,
 * ext4_write_end raises i_size and i_disksize together; writeback finds the blocks mapped, and data=ordered makes the
 * allocating transaction's commit write the pages first.
 */
class NodelallocTest {
    static final String W = "w";
    static final MountOptions NODELALLOC = MountOptions.parse("nodelalloc");

    @TempDir
    Path dir;

    static byte[] filled(int len, char c) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) c);
        return b;
    }

    private static List<TraceEvent> events(Ext4Fixture f, String comm, int mark) {
        return f.sink.events().subList(mark, f.sink.events().size()).stream().filter(e -> e.comm().equals(comm))
                .filter(e -> !e.event().startsWith("ext4_mb_") && !e.event().startsWith("ext4_mballoc_"))
                .toList();
    }

    static Inode inodeOnDisk(Path image, int ino) {
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            return fs.inodes().read(ino);
        }
    }

    static List<Extent> extentsOnDisk(Path image, int ino) {
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            return fs.extents().extents(fs.inodes().read(ino));
        }
    }

    static byte[] blockOnDisk(Path image, long pblk) {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(image.toFile(), "r")) {
            byte[] b = new byte[4096];
            f.seek(pblk * 4096);
            f.readFully(b);
            return b;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void writeBeginAllocatesEachPageWithCreateInItsHandle() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20, NODELALLOC)) {
            TraceContext w = Ext4Fixture.writer(W, 9);
            int ino = f.createOpen(w, "f");
            int mark = f.sink.events().size();
            int handles = f.journal.started().size();

            f.ext4.write(w, ino, 0, filled(8192, 'a'), Ext4Mount.WriteFlags.NONE);

            List<TraceEvent> ev = events(f, W, mark).stream().filter(e -> e.system().equals("ext4")).toList();
            assertThat(Ext4Fixture.names(ev)).containsExactly(
                    // page 0: a status-tree miss, the lookup pass caches the hole, then CREATE allocates
                    "ext4_write_begin", "ext4_journal_start",
                    "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
                    "ext4_ext_map_blocks_enter", "ext4_es_find_delayed_extent_range_enter",
                    "ext4_es_find_delayed_extent_range_exit", "ext4_es_insert_extent", "ext4_ext_map_blocks_exit",
                    "ext4_ext_map_blocks_enter", "ext4_request_blocks", "ext4_allocate_blocks", "ext4_mark_inode_dirty",
                    "ext4_ext_map_blocks_exit", "ext4_es_insert_extent",
                    "ext4_write_end", "ext4_mark_inode_dirty",
                    // page 1: the cached hole is a status-tree hit, CREATE right away; the left extent grows
                    "ext4_write_begin", "ext4_journal_start",
                    "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
                    "ext4_ext_map_blocks_enter", "ext4_ext_show_extent", "ext4_request_blocks", "ext4_allocate_blocks",
                    "ext4_mark_inode_dirty", "ext4_ext_map_blocks_exit", "ext4_es_insert_extent",
                    "ext4_write_end", "ext4_mark_inode_dirty");
            assertThat(Ext4Fixture.text(ev, "ext4_write_begin", 0)).isEqualTo("dev 8,1 ino 12 pos 0 len 4096 flags 0");
            // ext4_writepage_trans_blocks + 1
            assertThat(Ext4Fixture.text(ev, "ext4_journal_start", 0)).isEqualTo("dev 8,1 blocks, 9 rsv_blocks, 0 caller ext4_write_begin+0x15c/0x560");
            assertThat(Ext4Fixture.text(ev, "ext4_ext_map_blocks_enter", 0)).isEqualTo("dev 8,1 ino 12 lblk 0 len 1 flags ");
            assertThat(Ext4Fixture.text(ev, "ext4_ext_map_blocks_enter", 1)).isEqualTo("dev 8,1 ino 12 lblk 0 len 1 flags CREATE");
            assertThat(Ext4Fixture.text(ev, "ext4_ext_map_blocks_exit", 1)).matches("dev 8,1 ino 12 flags CREATE lblk 0 pblk \\d+ len 1 mflags NM ret 1");
            assertThat(Ext4Fixture.text(ev, "ext4_ext_map_blocks_enter", 2)).isEqualTo("dev 8,1 ino 12 lblk 1 len 1 flags CREATE");
            assertThat(Ext4Fixture.text(ev, "ext4_write_end", 1)).isEqualTo("dev 8,1 ino 12 pos 4096 len 4096 copied 4096");
            assertThat(Ext4Fixture.text(ev, "ext4_mark_inode_dirty", 1)).isEqualTo("dev 8,1 ino 12 caller ext4_write_end+0x9c/0x3c0");
            assertThat(f.journal.started().subList(handles, f.journal.started().size()))
                    .extracting(FakeJournal.Started::type).containsExactly(Super.HT_WRITE_PAGE, Super.HT_WRITE_PAGE);
            // nothing reserved, nothing delayed: the blocks are the file's already
            assertThat(f.ext4.delallocReservedBlocks()).isZero();
            assertThat(f.ext4.getattr(w, ino).blocks()).isEqualTo(16);
            assertThat(f.journal.registered).extracting(InodeRange::ino).containsOnly(12L);
            f.ext4.release(w, ino, true);
            f.flushAll();
            f.unmountAndCheck();
            assertThat(E2fsprogs.debugfs(f.image, "cat /f").stdout()).isEqualTo(filled(8192, 'a'));
        }
    }

    @Test
    void dataOrderedCommitsTheAllocationOnlyAfterTheDataAndWritebackAllocatesNothing() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20, NODELALLOC)) {
            TraceContext w = Ext4Fixture.writer(W, 9);
            int ino = f.createOpen(w, "f");
            f.ext4.write(w, ino, 0, filled(3 * 4096, 'o'), Ext4Mount.WriteFlags.NONE);
            int submitted = f.block.submitted().size();

            assertThat(f.journal.commit()).isTrue();

            // T_FLUSH: the three pages went in the jbd2 task before the metadata reached home
            List<FakeBlockPort.Submitted> byCommit = f.block.submitted().subList(submitted, f.block.submitted().size());
            assertThat(byCommit).isNotEmpty().allSatisfy(s -> assertThat(s.comm()).isEqualTo("jbd2/sda1-8"));
            assertThat(byCommit.stream().mapToLong(s -> s.bio().blocks()).sum()).isEqualTo(3);
            f.dev.flush();
            Inode onDisk = inodeOnDisk(f.image, ino);
            assertThat(onDisk.i_size()).isEqualTo(3 * 4096);
            List<Extent> extents = extentsOnDisk(f.image, ino);
            assertThat(extents).singleElement().satisfies(e -> {
                assertThat(e.len()).isEqualTo(3);
                assertThat(e.unwritten()).isFalse();
                assertThat(blockOnDisk(f.image, e.pblk() + 2)).isEqualTo(filled(4096, 'o'));
            });

            // a later overwrite dirties mapped pages: the flusher writes them with no allocation and no map_blocks
            f.ext4.write(w, ino, 4096, filled(4096, 'p'), Ext4Mount.WriteFlags.NONE);
            int mark = f.sink.events().size();
            f.flushAll();
            List<String> kworker = Ext4Fixture.names(events(f, Ext4Fixture.KWORKER.task().comm(), mark));
            assertThat(kworker).contains("ext4_writepages", "ext4_writepages_result")
                    .doesNotContain("ext4_ext_map_blocks_enter", "ext4_request_blocks", "ext4_da_update_reserve_space");
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
            byte[] want = filled(3 * 4096, 'o');
            Arrays.fill(want, 4096, 8192, (byte) 'p');
            assertThat(E2fsprogs.debugfs(f.image, "cat /f").stdout()).isEqualTo(want);
        }
    }

    @Test
    void dataWritebackOrdersNothingTheCommitWritesNoData() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20, MountOptions.parse("nodelalloc,data=writeback"))) {
            TraceContext w = Ext4Fixture.writer(W, 9);
            int ino = f.createOpen(w, "f");
            f.ext4.write(w, ino, 0, filled(2 * 4096, 'x'), Ext4Mount.WriteFlags.NONE);
            int submitted = f.block.submitted().size();

            assertThat(f.journal.commit()).isTrue();

            // no inode on the transaction's list: the commit wrote no data, and the metadata is home before it
            assertThat(f.journal.registered).isEmpty();
            assertThat(f.block.submitted()).hasSize(submitted);
            f.dev.flush();
            List<Extent> extents = extentsOnDisk(f.image, ino);
            assertThat(extents).singleElement().satisfies(e -> {
                assertThat(e.len()).isEqualTo(2);
                // what a crash here would expose: the allocated block has not been written
                assertThat(blockOnDisk(f.image, e.pblk())).containsOnly((byte) 0);
            });
            assertThat(f.ext4.dirtyPages()).isEqualTo(2);
            f.ext4.release(w, ino, true);
            f.flushAll();
            f.unmountAndCheck();
            assertThat(E2fsprogs.debugfs(f.image, "cat /f").stdout()).isEqualTo(filled(2 * 4096, 'x'));
        }
    }

    @Test
    void dataWritebackWithDelallocKeepsTheSeedPathAndOrdersNothing() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20, MountOptions.parse("data=writeback"))) {
            TraceContext w = Ext4Fixture.writer(W, 9);
            int ino = f.createOpen(w, "f");
            int mark = f.sink.events().size();
            f.ext4.write(w, ino, 0, filled(4096, 'd'), Ext4Mount.WriteFlags.NONE);
            assertThat(Ext4Fixture.names(events(f, W, mark))).contains("ext4_da_write_begin", "ext4_da_reserve_space", "ext4_da_write_end")
                    .doesNotContain("ext4_write_begin");
            f.ext4.truncate(w, ino, 100); // a zeroed partial block is not ordered data either
            f.ext4.write(w, ino, 0, filled(4096, 'e'), Ext4Mount.WriteFlags.NONE);
            f.flushAll();
            f.journal.commit();
            f.ext4.truncate(w, ino, 100);
            f.journal.commit();
            assertThat(f.journal.registered).isEmpty();
            f.ext4.release(w, ino, true);
            f.flushAll();
            f.unmountAndCheck();
            assertThat(E2fsprogs.debugfs(f.image, "cat /f").stdout()).isEqualTo(filled(100, 'e'));
        }
    }

    @Test
    void theDefaultMountStillRegistersOrderedData() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20, MountOptions.DEFAULTS)) {
            TraceContext w = Ext4Fixture.writer(W, 9);
            int ino = f.createOpen(w, "f");
            f.ext4.write(w, ino, 0, filled(4096, 'd'), Ext4Mount.WriteFlags.NONE);
            f.flushAll();
            f.journal.commit();
            f.ext4.truncate(w, ino, 100);
            assertThat(f.journal.registered).extracting(InodeRange::ino).containsOnly(12L).hasSize(2);
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void aFullDeviceFailsTheWriteWithEnospcAndLeavesWhatWasWrittenIntact() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20, NODELALLOC)) {
            TraceContext w = Ext4Fixture.writer(W, 9);
            int ino = f.createOpen(w, "big");
            byte[] chunk = new byte[256 << 10];
            new java.util.Random(3).nextBytes(chunk);
            long pos = 0;
            dev.ext4sim.bus.ErrnoException full = null;
            for (int i = 0; i < 200 && full == null; i++) {
                try {
                    Ext4Mount.WriteResult r = f.ext4.write(w, ino, pos, chunk, Ext4Mount.WriteFlags.NONE);
                    pos = r.pos();
                } catch (dev.ext4sim.bus.ErrnoException e) {
                    full = e;
                }
            }
            assertThat(full).as("the device filled up").isNotNull();
            assertThat(full.errno()).isEqualTo(dev.ext4sim.bus.Errno.ENOSPC);
            assertThat(pos).isGreaterThan(8L << 20);
            // every page was allocated in write(), none through delalloc
            assertThat(f.names(W)).contains("ext4_write_begin").doesNotContain("ext4_da_write_begin", "ext4_da_reserve_space");
            Stat st = f.ext4.getattr(w, ino);
            assertThat(st.size()).isEqualTo(pos);
            assertThat(st.blocks()).isEqualTo(pos / 4096 * 8);
            f.ext4.release(w, ino, true);
            f.flushAll();
            byte[] back = f.ext4.read(w, ino, 0, (int) pos);
            for (int off = 0; off < pos; off += chunk.length) {
                int n = (int) Math.min(chunk.length, pos - off);
                assertThat(Arrays.copyOfRange(back, off, off + n)).isEqualTo(Arrays.copyOf(chunk, n));
            }
            f.unmountAndCheck();
            assertThat(E2fsprogs.debugfs(f.image, "stat /big").output()).contains("Size: " + pos);
        }
    }
}
