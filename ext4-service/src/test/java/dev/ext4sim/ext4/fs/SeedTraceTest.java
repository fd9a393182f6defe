package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ext4.port.WritebackPort;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed program, open(/hello, O_CREAT|O_RDWR); write("hello world\n"); [fsync], in its three variants: the ext4
 * and writeback events of the writer task (and of the kworker that writes the data back when nobody syncs) in the
 * seed call graph's order, a few lines to the byte, and the image e2fsck and debugfs read afterwards.
 */
class SeedTraceTest {
    static final byte[] HELLO = "hello world\n".getBytes(StandardCharsets.US_ASCII);
    static final String DEMO = "demo";

    /**
     * The path walk's ext4_lookup of the missing name: ext4_find_entry maps the root's block 0, a status-tree miss;
     * ext4_getblk's sb_getblk of that block is the cpu's first (a read), so no block_touch_buffer.
     */
    static final List<String> LOOKUP = List.of("ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "ext4_ext_map_blocks_enter", "ext4_ext_show_extent", "ext4_ext_map_blocks_exit", "ext4_es_insert_extent");
    /**
     * ext4_create in one handle: __ext4_new_inode (its inode bitmap's sb_getblk, the cpu's first, is silent), then
     * ext4_add_entry reads block 0 again (now a status hit and a touch of its buffer); every ext4_mark_inode_dirty
     * touches the inode table block, which the mount's iget of the root put in this cpu's bh LRU.
     */
    static final List<String> CREATE = List.of("ext4_request_inode", "ext4_journal_start", "ext4_mark_inode_dirty",
            "block_touch_buffer", "ext4_allocate_inode", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "block_touch_buffer", "ext4_mark_inode_dirty", "block_touch_buffer", "ext4_mark_inode_dirty",
            "block_touch_buffer");
    static final List<String> WRITE = List.of(
            "ext4_da_write_begin", "ext4_journal_start",
            "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "ext4_ext_map_blocks_enter",
            "ext4_es_find_delayed_extent_range_enter", "ext4_es_find_delayed_extent_range_exit", "ext4_es_insert_extent",
            "ext4_ext_map_blocks_exit",
            "ext4_da_reserve_space", "ext4_es_insert_extent",
            "ext4_da_write_end", "block_dirty_buffer", "writeback_dirty_page", "writeback_mark_inode_dirty",
            "writeback_mark_inode_dirty", "writeback_dirty_inode_start", "ext4_journal_start", "ext4_mark_inode_dirty",
            "block_touch_buffer", "writeback_dirty_inode");
    /**
     * ext4_writepages up to the allocation's ext4_da_update_reserve_space; ext4_mb_mark_diskspace_used's sb_getblk of
     * the block bitmap, before ext4_mballoc_alloc, is the cpu's first, so silent.
     */
    static final List<String> ALLOCATE = List.of(
            "ext4_writepages", "ext4_journal_start", "ext4_da_write_pages", "ext4_da_write_pages_extent",
            "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "ext4_ext_map_blocks_enter", "ext4_request_blocks", "ext4_mballoc_alloc", "ext4_allocate_blocks",
            "ext4_mark_inode_dirty", "block_touch_buffer", "ext4_get_reserved_cluster_alloc", "ext4_da_update_reserve_space");
    /** dquot_claim_block → mark_inode_dirty_sync → ext4_dirty_inode, nested in the writepages handle. */
    static final List<String> QUOTA_CLAIM = List.of("writeback_mark_inode_dirty", "writeback_dirty_inode_start",
            "ext4_journal_start", "ext4_mark_inode_dirty", "block_touch_buffer", "writeback_dirty_inode");
    /** Nothing reserved is left and no writer has the file open. */
    static final List<String> DISCARD = List.of("ext4_discard_preallocations");
    static final List<String> MAPPED = List.of(
            "ext4_ext_map_blocks_exit", "ext4_es_insert_extent",
            "ext4_mark_inode_dirty", "block_touch_buffer",
            "ext4_journal_start", "ext4_da_write_pages",
            "ext4_writepages_result");
    /**
     * Writeback while the file is still open (fsync, O_SYNC): a small file takes its block from the writer's cpu's
     * locality group, which its first allocation creates (ext4_mb_new_preallocation before ext4_mb_release_context).
     */
    static final List<String> ALLOCATE_OPEN = withGroupPa(ALLOCATE);
    /** ext4_writepages of a small file still open for writing, without a group preallocation yet on the cpu. */
    static final List<String> WRITEPAGES_OPEN = java.util.stream.Stream.of(ALLOCATE, QUOTA_CLAIM, MAPPED)
            .flatMap(List::stream).toList();

    /** The first block of group 0's inode table on the fixture's 64 MiB image: inodes 1 to 16, the root's and /hello's. */
    static final long ITABLE_BLOCK = 4;

    @TempDir
    Path dir;

    private static String itable() {
        return "8,1 sector=" + ITABLE_BLOCK + " size=4096";
    }

    /** open(O_CREAT|O_RDWR): lookup_open's ext4_lookup misses, ext4_create, then the open counted as a writer. */
    private int createHello(Ext4Fixture f, TraceContext demo) {
        assertThatThrownBy(() -> f.ext4.lookup(demo, Ext4.ROOT_INO, "hello")).isInstanceOf(ErrnoException.class)
                .extracting(e -> ((ErrnoException) e).errno()).isEqualTo(Errno.ENOENT);
        int ino = f.ext4.create(demo, Ext4.ROOT_INO, "hello", 0644);
        f.ext4.open(demo, ino, true);
        return ino;
    }

    /** The root directory's block 0, as ext4_ext_show_extent printed it. */
    private static long rootBlock(List<TraceEvent> events) {
        String show = text(events, "ext4_ext_show_extent", 0);
        assertThat(show).startsWith("dev 8,1 ino 2 lblk 0 pblk ").endsWith(" len 1");
        return Long.parseLong(show.split(" ")[7]);
    }

    private static List<String> concat(List<String>... parts) {
        List<String> out = new ArrayList<>();
        for (List<String> p : parts) {
            out.addAll(p);
        }
        return out;
    }

    static List<String> withGroupPa(List<String> events) {
        List<String> out = new ArrayList<>(events);
        out.add(out.indexOf("ext4_mballoc_alloc"), "ext4_mb_new_group_pa");
        return out;
    }

    private static String text(List<TraceEvent> events, String name, int nth) {
        return events.stream().filter(e -> e.event().equals(name)).skip(nth).findFirst().orElseThrow().text();
    }

    @Test
    void noFsyncThenWritebackByTheKworker() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20)) {
            TraceContext demo = Ext4Fixture.writer(DEMO, 1234);
            int ino = createHello(f, demo);
            assertThat(ino).isEqualTo(12);
            Ext4Mount.WriteResult r = f.ext4.write(demo, ino, 0, HELLO, Ext4Mount.WriteFlags.NONE);
            assertThat(r.written()).isEqualTo(12);
            assertThat(r.pos()).isEqualTo(12);
            f.ext4.release(demo, ino, true);

            assertThat(f.names(DEMO)).containsExactlyElementsOf(concat(LOOKUP, CREATE, WRITE));
            List<TraceEvent> w = f.events(DEMO);
            long root = rootBlock(w);
            assertThat(text(w, "ext4_es_lookup_extent_exit", 0)).isEqualTo("dev 8,1 ino 2 found 0 [0/0) 0 ");
            assertThat(text(w, "ext4_ext_map_blocks_enter", 0)).isEqualTo("dev 8,1 ino 2 lblk 0 len 1 flags ");
            assertThat(text(w, "ext4_ext_map_blocks_exit", 0))
                    .isEqualTo("dev 8,1 ino 2 flags  lblk 0 pblk " + root + " len 1 mflags M ret 1");
            assertThat(text(w, "ext4_es_insert_extent", 0)).isEqualTo("dev 8,1 ino 2 es [0/1) mapped " + root + " status W");
            assertThat(text(w, "ext4_es_lookup_extent_exit", 1)).isEqualTo("dev 8,1 ino 2 found 1 [0/1) " + root + " W");
            // a later walk meets the dentry: no ext4_lookup, nothing traced
            int before = w.size();
            assertThat(f.ext4.lookup(demo, Ext4.ROOT_INO, "hello")).isEqualTo(12);
            assertThat(f.events(DEMO)).hasSize(before);
            assertThat(text(w, "ext4_da_write_begin", 0)).isEqualTo("dev 8,1 ino 12 pos 0 len 12 flags 0");
            assertThat(text(w, "ext4_journal_start", 1)).isEqualTo("dev 8,1 blocks, 1 rsv_blocks, 0 caller ext4_da_write_begin+0x1c4/0x4f0");
            assertThat(text(w, "ext4_es_lookup_extent_exit", 2)).isEqualTo("dev 8,1 ino 12 found 0 [0/0) 0 ");
            assertThat(text(w, "ext4_ext_map_blocks_enter", 1)).isEqualTo("dev 8,1 ino 12 lblk 0 len 1 flags ");
            assertThat(text(w, "ext4_es_insert_extent", 1)).isEqualTo("dev 8,1 ino 12 es [0/4294967295) mapped 576460752303423487 status H");
            assertThat(text(w, "ext4_ext_map_blocks_exit", 1)).isEqualTo("dev 8,1 ino 12 flags  lblk 0 pblk 0 len 1 mflags  ret 0");
            assertThat(text(w, "ext4_da_reserve_space", 0)).isEqualTo("dev 8,1 ino 12 mode 0100644 i_blocks 0 reserved_data_blocks 1 reserved_meta_blocks 0");
            assertThat(text(w, "ext4_es_insert_extent", 2)).isEqualTo("dev 8,1 ino 12 es [0/1) mapped 576460752303423487 status D");
            assertThat(text(w, "ext4_da_write_end", 0)).isEqualTo("dev 8,1 ino 12 pos 0 len 12 copied 12");
            assertThat(text(w, "writeback_dirty_page", 0)).isEqualTo("bdi 8:0: ino=12 index=0");
            assertThat(text(w, "writeback_mark_inode_dirty", 0)).isEqualTo("bdi 8:0: ino=12 state= flags=I_DIRTY_PAGES");
            assertThat(text(w, "writeback_mark_inode_dirty", 1))
                    .isEqualTo("bdi 8:0: ino=12 state=I_DIRTY_PAGES flags=I_DIRTY_SYNC|I_DIRTY_DATASYNC|I_DIRTY_PAGES");
            assertThat(text(w, "ext4_journal_start", 2)).isEqualTo("dev 8,1 blocks, 2 rsv_blocks, 0 caller ext4_dirty_inode+0x48/0x70");
            assertThat(text(w, "ext4_allocate_inode", 0)).isEqualTo("dev 8,1 ino 12 dir 2 mode 0100644");
            assertThat(text(w, "ext4_mark_inode_dirty", 1)).isEqualTo("dev 8,1 ino 2 caller add_dirent_to_buf+0x1a0/0x2a0");
            assertThat(text(w, "ext4_mark_inode_dirty", 3)).isEqualTo("dev 8,1 ino 12 caller ext4_dirty_inode+0x5c/0x70");
            // the buffers: inodes 1 to 16 share the inode table's first block; the delayed page's buffer is at invalid_block
            assertThat(text(w, "block_touch_buffer", 0)).isEqualTo("8,1 sector=" + ITABLE_BLOCK + " size=4096");
            assertThat(w).filteredOn(e -> e.event().equals("block_touch_buffer")).extracting(TraceEvent::text)
                    .containsExactly(itable(), "8,1 sector=" + root + " size=4096", itable(), itable(), itable());
            assertThat(text(w, "block_dirty_buffer", 0)).isEqualTo("8,1 sector=18446744073709486080 size=4096");
            assertThat(w).filteredOn(e -> e.event().startsWith("block_")).extracting(TraceEvent::system).containsOnly("block");
            // the nested ext4_dirty_inode start asked jbd2 for no handle of its own
            assertThat(f.journal.started()).extracting(FakeJournal.Started::comm).containsExactly(DEMO, DEMO);
            // the flusher hears of each new dirty bit: the page, then the inode's own (so it will call write_inode)
            assertThat(f.writeback.dirtied).extracting(WritebackPort.InodeDirtied::flags)
                    .containsExactly(Flags.I_DIRTY_PAGES, Flags.I_DIRTY_SYNC | Flags.I_DIRTY_DATASYNC | Flags.I_DIRTY_PAGES);
            assertThat(f.writeback.dirtied).extracting(WritebackPort.InodeDirtied::ino).containsOnly(12L);
            assertThat(f.block.submitted()).extracting(FakeBlockPort.Submitted::comm).containsOnly("mount"); // the superblock
            assertThat(f.ext4.dirtyInodes()).extracting(DirtyInode::ino).containsExactly(12L);

            f.flushAll();
            // closed before the flusher came: the claim finds no writer and discards the preallocations
            assertThat(f.names("kworker/u16:2")).containsExactlyElementsOf(concat(ALLOCATE, QUOTA_CLAIM, DISCARD, MAPPED));
            List<TraceEvent> k = f.events("kworker/u16:2");
            assertThat(text(k, "ext4_get_reserved_cluster_alloc", 0)).isEqualTo("dev 8,1 ino 12 lblk 0 len 1");
            // the flusher holds I_SYNC, and __writeback_single_inode takes the dirty bits only after do_writepages
            assertThat(text(k, "writeback_mark_inode_dirty", 0))
                    .isEqualTo("bdi 8:0: ino=12 state=I_DIRTY_SYNC|I_DIRTY_DATASYNC|I_DIRTY_PAGES|I_SYNC flags=I_DIRTY_SYNC");
            assertThat(text(k, "writeback_dirty_inode", 0))
                    .isEqualTo("bdi 8:0: ino=12 state=I_DIRTY_SYNC|I_DIRTY_DATASYNC|I_DIRTY_PAGES|I_SYNC flags=I_DIRTY_SYNC");
            assertThat(text(k, "ext4_journal_start", 1)).isEqualTo("dev 8,1 blocks, 2 rsv_blocks, 0 caller ext4_dirty_inode+0x48/0x70");
            assertThat(text(k, "ext4_mark_inode_dirty", 0)).isEqualTo("dev 8,1 ino 12 caller __ext4_ext_dirty+0x5c/0x70");
            assertThat(text(k, "ext4_mark_inode_dirty", 1)).isEqualTo("dev 8,1 ino 12 caller ext4_dirty_inode+0x5c/0x70");
            assertThat(text(k, "ext4_discard_preallocations", 0)).isEqualTo("dev 8,1 ino 12");
            assertThat(k).filteredOn(e -> e.event().equals("block_touch_buffer")).extracting(TraceEvent::text)
                    .containsExactly(itable(), itable(), itable());
            // the nested start is no handle of its own: jbd2 saw only the two writepages rounds
            assertThat(f.journal.started()).extracting(FakeJournal.Started::comm)
                    .containsExactly(DEMO, DEMO, "kworker/u16:2", "kworker/u16:2");
            // the inode was dirty already: the flusher hears of no new bit
            assertThat(f.writeback.dirtied).hasSize(2);
            FakeBlockPort.Submitted data = f.block.submitted().getLast();
            long pblk = data.bio().block();
            assertThat(data.comm()).isEqualTo("kworker/u16:2");
            assertThat(data.bio().flags()).isEmpty();
            assertThat(text(k, "ext4_writepages", 0)).isEqualTo("dev 8,1 ino 12 nr_to_write 1024 pages_skipped 0 range_start 0 "
                    + "range_end 9223372036854775807 sync_mode 0 for_kupdate 1 range_cyclic 1 writeback_index 0");
            assertThat(text(k, "ext4_journal_start", 0)).isEqualTo("dev 8,1 blocks, 8 rsv_blocks, 0 caller ext4_writepages+0x4f4/0xe70");
            assertThat(text(k, "ext4_da_write_pages_extent", 0)).isEqualTo("dev 8,1 ino 12 lblk 0 len 1 flags 0x200");
            assertThat(text(k, "ext4_es_lookup_extent_exit", 0)).isEqualTo("dev 8,1 ino 12 found 1 [0/1) 576460752303423487 D");
            assertThat(text(k, "ext4_ext_map_blocks_enter", 0)).isEqualTo("dev 8,1 ino 12 lblk 0 len 1 flags CREATE|DELALLOC|METADATA_NOFAIL|0x400");
            assertThat(text(k, "ext4_request_blocks", 0)).isEqualTo("dev 8,1 ino 12 flags HINT_DATA|DELALLOC_RESV|USE_RESV len 1 lblk 0 "
                    + "goal 0 lleft 0 lright 0 pleft 0 pright 0 ");
            assertThat(text(k, "ext4_allocate_blocks", 0)).isEqualTo("dev 8,1 ino 12 flags HINT_DATA|DELALLOC_RESV|USE_RESV len 1 block "
                    + pblk + " lblk 0 goal 0 lleft 0 lright 0 pleft 0 pright 0");
            assertThat(text(k, "ext4_mballoc_alloc", 0)).isEqualTo("dev 8,1 inode 12 orig 0/0/1@0 goal 0/0/1@0 result 0/" + pblk
                    + "/1@0 blks 1 grps 1 cr 0 flags HINT_DATA|HINT_NOPREALLOC|DELALLOC_RESV|USE_RESV tail 0 broken 0");
            assertThat(text(k, "ext4_da_update_reserve_space", 0)).isEqualTo("dev 8,1 ino 12 mode 0100644 i_blocks 0 used_blocks 1 "
                    + "reserved_data_blocks 1 reserved_meta_blocks 0 allocated_meta_blocks 0 quota_claim 1");
            assertThat(text(k, "ext4_ext_map_blocks_exit", 0)).isEqualTo("dev 8,1 ino 12 flags CREATE|DELALLOC|METADATA_NOFAIL|0x400 lblk 0 pblk "
                    + pblk + " len 1 mflags NM ret 1");
            assertThat(text(k, "ext4_es_insert_extent", 0)).isEqualTo("dev 8,1 ino 12 es [0/1) mapped " + pblk + " status W");
            assertThat(text(k, "ext4_writepages_result", 0)).isEqualTo("dev 8,1 ino 12 ret 0 pages_written 1 pages_skipped 0 sync_mode 0 writeback_index 1");
            assertThat(f.ext4.dirtyInodes()).isEmpty();

            assertThat(f.journal.commit()).isTrue(); // the commit timer
            f.unmountAndCheck();
            E2fsprogs.Result cat = E2fsprogs.debugfs(f.image, "cat /hello");
            assertThat(cat.stdout()).isEqualTo(HELLO);
            // e2fsprogs places inode 12 in the block the touches named
            assertThat(new String(E2fsprogs.debugfs(f.image, "imap <12>").stdout(), StandardCharsets.US_ASCII))
                    .contains("located at block " + ITABLE_BLOCK + ",");
        }
    }

    @Test
    void fsyncWritesBackInTheWriterAndWaitsForTheCommit() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20)) {
            TraceContext demo = Ext4Fixture.writer(DEMO, 1234);
            int ino = createHello(f, demo);
            f.ext4.write(demo, ino, 0, HELLO, Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(demo, ino, false);

            // the writer holds the file open: its cpu's group preallocation, no discard inside the allocation
            List<String> expected = concat(LOOKUP, CREATE, WRITE, List.of("ext4_sync_file_enter"), ALLOCATE_OPEN, QUOTA_CLAIM,
                    MAPPED, List.of("ext4_sync_file_exit"));
            assertThat(f.names(DEMO)).containsExactlyElementsOf(expected);
            List<TraceEvent> w = f.events(DEMO);
            assertThat(text(w, "ext4_sync_file_enter", 0)).isEqualTo("dev 8,1 ino 12 parent 2 datasync 0 ");
            assertThat(text(w, "writeback_mark_inode_dirty", 2))
                    .isEqualTo("bdi 8:0: ino=12 state=I_DIRTY_SYNC|I_DIRTY_DATASYNC|I_DIRTY_PAGES flags=I_DIRTY_SYNC");
            assertThat(text(w, "ext4_writepages", 0)).contains("sync_mode 1 for_kupdate 0 range_cyclic 0");
            assertThat(text(w, "ext4_sync_file_exit", 0)).isEqualTo("dev 8,1 ino 12 ret 0");
            assertThat(f.names("kworker/u16:2")).isEmpty();
            // the data went out as WS from the writer before the commit that the fsync waited for
            assertThat(f.block.submitted().getLast().comm()).isEqualTo(DEMO);
            assertThat(f.block.submitted().getLast().bio().flags()).containsExactly(dev.ext4sim.ext4.port.DataBio.BioFlag.SYNC);
            assertThat(f.journal.commits()).containsExactly(1);
            // the commit's own flush covered the data: no extra flush from the writer
            assertThat(f.block.flushes()).doesNotContain(DEMO);
            assertThat(f.journal.pendingBuffers()).isZero();

            // A second fsync with nothing new: the tid is committed, so ext4 flushes the cache itself.
            f.ext4.fsync(demo, ino, false);
            assertThat(f.block.flushes()).contains(DEMO);
            // ext4_release_file of the last writer, nothing reserved: the preallocations go now
            f.ext4.release(demo, ino, true);
            assertThat(f.names(DEMO).getLast()).isEqualTo("ext4_discard_preallocations");
            f.unmountAndCheck();
            assertThat(E2fsprogs.debugfs(f.image, "cat /hello").stdout()).isEqualTo(HELLO);
        }
    }

    @Test
    void oSyncSyncsInsideTheWrite() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20)) {
            TraceContext demo = Ext4Fixture.writer(DEMO, 1234);
            int ino = createHello(f, demo);
            f.ext4.write(demo, ino, 0, HELLO, new Ext4Mount.WriteFlags(false, true, false));

            // the writer holds the file open: its cpu's group preallocation, no discard inside the allocation
            List<String> expected = concat(LOOKUP, CREATE, WRITE, List.of("ext4_sync_file_enter"), ALLOCATE_OPEN, QUOTA_CLAIM,
                    MAPPED, List.of("ext4_sync_file_exit"));
            assertThat(f.names(DEMO)).containsExactlyElementsOf(expected);
            List<TraceEvent> w = f.events(DEMO);
            assertThat(text(w, "ext4_sync_file_enter", 0)).isEqualTo("dev 8,1 ino 12 parent 2 datasync 0 ");
            assertThat(text(w, "writeback_mark_inode_dirty", 2))
                    .isEqualTo("bdi 8:0: ino=12 state=I_DIRTY_SYNC|I_DIRTY_DATASYNC|I_DIRTY_PAGES flags=I_DIRTY_SYNC");
            assertThat(text(w, "ext4_writepages", 0)).isEqualTo("dev 8,1 ino 12 nr_to_write 9223372036854775807 pages_skipped 0 "
                    + "range_start 0 range_end 11 sync_mode 1 for_kupdate 0 range_cyclic 0 writeback_index 0");
            assertThat(f.journal.commits()).containsExactly(1);
            f.ext4.release(demo, ino, true);
            f.unmountAndCheck();
            assertThat(E2fsprogs.debugfs(f.image, "cat /hello").stdout()).isEqualTo(HELLO);
        }
    }
}
