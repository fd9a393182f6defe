package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ext4.port.DataBio;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.Extent;
import dev.ext4sim.ondisk.ext4.Inode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 4.19's synchronous O_DIRECT write on each of its paths: events in order, handles, bios, extents and the orphan list. */
class DirectIoTest {
    static final String DIO = "dio";
    static final Ext4Mount.WriteFlags DIRECT = new Ext4Mount.WriteFlags(false, false, false, true);

    @TempDir
    Path dir;

    private static byte[] pattern(int len, int seed) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    /** The ext4 events of the writer from {@code mark} on, mballoc's own choices left out. */
    private static List<TraceEvent> ext4Events(Ext4Fixture f, int mark) {
        return f.sink.events().subList(mark, f.sink.events().size()).stream()
                .filter(e -> e.comm().equals(DIO) && e.system().equals("ext4"))
                .filter(e -> !e.event().startsWith("ext4_mb_") && !e.event().startsWith("ext4_mballoc_"))
                .toList();
    }

    private static List<String> names(List<TraceEvent> events) {
        return events.stream().map(TraceEvent::event).toList();
    }

    private static String text(List<TraceEvent> events, String name, int nth) {
        return events.stream().filter(e -> e.event().equals(name)).skip(nth).findFirst().orElseThrow().text();
    }

    /** The handle types started from {@code mark} on. */
    private static List<Integer> handleTypes(Ext4Fixture f, int mark) {
        return f.journal.started().subList(mark, f.journal.started().size()).stream().map(FakeJournal.Started::type).toList();
    }

    private static List<DataBio> bios(Ext4Fixture f, int mark) {
        return f.block.submitted().subList(mark, f.block.submitted().size()).stream()
                .filter(s -> s.comm().equals(DIO)).map(FakeBlockPort.Submitted::bio).toList();
    }

    private static List<Extent> extentsOnDisk(Path image, int ino) {
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            return fs.extents().extents(fs.inodes().read(ino));
        }
    }

    private static Inode inodeOnDisk(Path image, int ino) {
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            return fs.inodes().read(ino);
        }
    }

    private static int lastOrphanOnDisk(Path image) {
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            return fs.superBlock().s_last_orphan();
        }
    }

    /** What the journal holds goes home (the fake journal's commit checkpoints at once), so the image shows it. */
    private static void commit(Ext4Fixture f) {
        f.journal.commit();
        f.dev.flush();
    }

    private static final List<String> PREFIX = List.of("ext4_journal_start", "ext4_mark_inode_dirty", "ext4_direct_IO_enter");

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Test
    void appendingToAnEmptyFileAllocatesInitializedBlocksBetweenTheOrphanHandles() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            f.clock.advance(Duration.ofSeconds(1)); // so that file_update_time dirties the inode
            int mark = f.sink.events().size();
            int handles = f.journal.started().size();
            int bios = f.block.submitted().size();
            byte[] data = pattern(8192, 1);

            Ext4Mount.WriteResult r = f.ext4.write(w, ino, 0, data, DIRECT);

            assertThat(r.written()).isEqualTo(8192);
            assertThat(r.pos()).isEqualTo(8192);
            List<TraceEvent> ev = ext4Events(f, mark);
            // no ext4_overwrite_io lookup: the range ends past i_size
            assertThat(names(ev)).containsExactlyElementsOf(concat(PREFIX, List.of(
                    "ext4_journal_start",                                      // orphan handle
                    "ext4_journal_start",                                      // ext4_get_block_trans
                    "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
                    "ext4_ext_map_blocks_enter", "ext4_es_find_delayed_extent_range_enter",
                    "ext4_es_find_delayed_extent_range_exit", "ext4_es_insert_extent", "ext4_ext_map_blocks_exit",
                    "ext4_ext_map_blocks_enter", "ext4_request_blocks", "ext4_allocate_blocks", "ext4_mark_inode_dirty",
                    "ext4_ext_map_blocks_exit", "ext4_es_insert_extent",
                    "ext4_journal_start", "ext4_mark_inode_dirty",             // orphan del, i_disksize
                    "ext4_direct_IO_exit")));
            assertThat(text(ev, "ext4_direct_IO_enter", 0)).isEqualTo("dev 8,1 ino 12 pos 0 len 8192 rw 1");
            assertThat(text(ev, "ext4_journal_start", 1)).isEqualTo("dev 8,1 blocks, 2 rsv_blocks, 0 caller ext4_direct_IO+0x1b8/0x7c0");
            assertThat(text(ev, "ext4_journal_start", 2)).isEqualTo("dev 8,1 blocks, 8 rsv_blocks, 0 caller ext4_get_block_trans+0x5c/0x110");
            assertThat(text(ev, "ext4_ext_map_blocks_enter", 1)).isEqualTo("dev 8,1 ino 12 lblk 0 len 2 flags CREATE");
            assertThat(text(ev, "ext4_ext_map_blocks_exit", 1)).matches("dev 8,1 ino 12 flags CREATE lblk 0 pblk \\d+ len 2 mflags NM ret 2");
            assertThat(text(ev, "ext4_es_insert_extent", 1)).endsWith("status W");
            assertThat(text(ev, "ext4_direct_IO_exit", 0)).isEqualTo("dev 8,1 ino 12 pos 0 len 8192 rw 1 ret 8192");
            assertThat(handleTypes(f, handles)).containsExactly(Super.HT_INODE, Super.HT_INODE, Super.HT_MAP_BLOCKS, Super.HT_INODE);

            List<DataBio> written = bios(f, bios);
            assertThat(written).hasSize(1);
            assertThat(written.getFirst().flags()).isEqualTo(Set.of(DataBio.BioFlag.SYNC));
            assertThat(written.getFirst().data()).isEqualTo(data);
            assertThat(f.ext4.hasDirtyPages(ino)).isFalse();
            assertThat(f.ext4.getattr(w, ino).size()).isEqualTo(8192);
            assertThat(f.ext4.read(w, ino, 0, 8192)).isEqualTo(data);
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
            assertThat(E2fsprogs.debugfs(f.image, "cat /f").stdout()).isEqualTo(data);
        }
    }

    @Test
    void anOverwriteOfWrittenBlocksMapsThemInAHandleAndAllocatesNothing() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            f.ext4.write(w, ino, 0, pattern(8192, 1), DIRECT);
            long pblk = bios(f, 0).getLast().block() + 1; // the second block of the file's one bio
            f.clock.advance(Duration.ofSeconds(1));
            long free = f.ext4.freeBlocks();
            int mark = f.sink.events().size();
            int handles = f.journal.started().size();
            int bios = f.block.submitted().size();
            byte[] data = pattern(4096, 2);

            f.ext4.write(w, ino, 4096, data, DIRECT);

            List<TraceEvent> ev = ext4Events(f, mark);
            // without dioread_nolock (4.x's default) the overwrite still goes through ext4_dio_get_block_unwritten_sync:
            // a MAP_BLOCKS handle whose status lookup finds the block written, so nothing else runs
            assertThat(names(ev)).containsExactlyElementsOf(concat(
                    concat(List.of("ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit"), PREFIX), List.of(
                    "ext4_journal_start", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
                    "ext4_direct_IO_exit")));
            assertThat(text(ev, "ext4_es_lookup_extent_exit", 1)).endsWith(" W");
            assertThat(handleTypes(f, handles)).containsExactly(Super.HT_INODE, Super.HT_MAP_BLOCKS);
            List<DataBio> written = bios(f, bios);
            assertThat(written).singleElement().satisfies(b -> {
                assertThat(b.block()).isEqualTo(pblk);
                assertThat(b.data()).isEqualTo(data);
            });
            assertThat(f.ext4.freeBlocks()).isEqualTo(free);
            assertThat(f.ext4.read(w, ino, 4096, 4096)).isEqualTo(data);
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void aHoleInsideIsizeIsAllocatedUnwrittenWrittenThenConvertedInTheWriter() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            f.ext4.write(w, ino, 0, pattern(8192, 1), DIRECT);
            f.ext4.truncate(w, ino, 32768);
            f.clock.advance(Duration.ofSeconds(1));
            int mark = f.sink.events().size();
            int handles = f.journal.started().size();
            byte[] data = pattern(4096, 3);
            List<Extent> beforeConversion = new ArrayList<>();
            List<byte[]> readBeforeConversion = new ArrayList<>();
            f.ext4.crashPoints(point -> {
                if (point.equals(Ext4CrashPoints.DIRECT_IO_AFTER_BIOS)) {
                    // the data is on the device, its extent still unwritten: a read sees zeros, never the new bytes early
                    readBeforeConversion.add(f.ext4.read(w, ino, 16384, 4096));
                    commit(f);
                    beforeConversion.addAll(extentsOnDisk(f.image, ino));
                }
            });

            f.ext4.write(w, ino, 16384, data, DIRECT);

            List<TraceEvent> ev = ext4Events(f, mark);
            assertThat(names(ev)).containsExactlyElementsOf(concat(
                    concat(List.of("ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit"), PREFIX), List.of(
                    "ext4_journal_start", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
                    "ext4_ext_map_blocks_enter", "ext4_ext_show_extent", "ext4_request_blocks", "ext4_allocate_blocks",
                    "ext4_mark_inode_dirty", "ext4_ext_map_blocks_exit",
                    "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit", "ext4_es_insert_extent",
                    // ext4_convert_unwritten_extents in the writer
                    "ext4_journal_start", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
                    "ext4_ext_map_blocks_enter", "ext4_ext_show_extent", "ext4_ext_handle_unwritten_extents",
                    "ext4_mark_inode_dirty", "ext4_ext_map_blocks_exit", "ext4_es_insert_extent", "ext4_mark_inode_dirty",
                    "ext4_direct_IO_exit")));
            assertThat(text(ev, "ext4_es_lookup_extent_exit", 0)).endsWith(" H"); // ext4_overwrite_io found the hole
            assertThat(text(ev, "ext4_ext_map_blocks_enter", 0)).isEqualTo("dev 8,1 ino 12 lblk 4 len 1 flags CREATE|UNWRIT|PRE_IO");
            String allocated = text(ev, "ext4_ext_map_blocks_exit", 0);
            assertThat(allocated).matches("dev 8,1 ino 12 flags CREATE\\|UNWRIT\\|PRE_IO lblk 4 pblk \\d+ len 1 mflags NMU ret 1");
            long pblk = Long.parseLong(allocated.replaceAll(".* pblk (\\d+) .*", "$1"));
            assertThat(text(ev, "ext4_es_insert_extent", 0)).isEqualTo("dev 8,1 ino 12 es [4/1) mapped " + pblk + " status U");
            assertThat(text(ev, "ext4_journal_start", 2)).isEqualTo(
                    "dev 8,1 blocks, 8 rsv_blocks, 0 caller ext4_convert_unwritten_extents+0xa8/0x1b0");
            assertThat(text(ev, "ext4_es_lookup_extent_exit", 3)).endsWith(" U");
            assertThat(text(ev, "ext4_ext_map_blocks_enter", 1)).isEqualTo("dev 8,1 ino 12 lblk 4 len 1 flags CREATE|UNWRIT|CONVERT");
            assertThat(text(ev, "ext4_ext_handle_unwritten_extents", 0)).isEqualTo("dev 8,1 ino 12 m_lblk 4 m_pblk " + pblk
                    + " m_len 1 flags CREATE|UNWRIT|CONVERT|METADATA_NOFAIL allocated 1 newblock " + pblk);
            assertThat(text(ev, "ext4_ext_map_blocks_exit", 1)).isEqualTo("dev 8,1 ino 12 flags CREATE|UNWRIT|CONVERT lblk 4 pblk "
                    + pblk + " len 1 mflags M ret 1");
            assertThat(text(ev, "ext4_es_insert_extent", 1)).endsWith("status W");
            assertThat(handleTypes(f, handles)).containsExactly(Super.HT_INODE, Super.HT_MAP_BLOCKS, Super.HT_MAP_BLOCKS);

            assertThat(readBeforeConversion).singleElement().isEqualTo(new byte[4096]);
            assertThat(beforeConversion).contains(new Extent(4, 1, pblk, true));
            commit(f);
            assertThat(extentsOnDisk(f.image, ino)).contains(new Extent(4, 1, pblk, false)).noneMatch(Extent::unwritten);
            assertThat(f.ext4.getattr(w, ino).size()).isEqualTo(32768);
            assertThat(f.ext4.read(w, ino, 16384, 4096)).isEqualTo(data);
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
            byte[] file = E2fsprogs.debugfs(f.image, "cat /f").stdout();
            assertThat(file).hasSize(32768);
            assertThat(Arrays.copyOfRange(file, 16384, 20480)).isEqualTo(data);
            assertThat(Arrays.copyOfRange(file, 8192, 16384)).isEqualTo(new byte[8192]);
        }
    }

    @Test
    void anExtendingWriteKeepsTheInodeOnTheOrphanListUntilItsSizeIsOnDisk() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            f.ext4.write(w, ino, 0, pattern(4096, 1), DIRECT);
            commit(f);
            assertThat(lastOrphanOnDisk(f.image)).isZero();
            List<Integer> orphanDuring = new ArrayList<>();
            List<Inode> inodeDuring = new ArrayList<>();
            f.ext4.crashPoints(point -> {
                if (point.equals(Ext4CrashPoints.DIRECT_IO_AFTER_BIOS)) {
                    commit(f);
                    orphanDuring.add(lastOrphanOnDisk(f.image));
                    inodeDuring.add(inodeOnDisk(f.image, ino));
                }
            });

            f.ext4.write(w, ino, 4096, pattern(8192, 2), DIRECT);

            // mid-write: the superblock heads the chain with this inode (its i_dtime ends it), the size not yet moved
            assertThat(orphanDuring).containsExactly(ino);
            assertThat(inodeDuring).singleElement().satisfies(i -> {
                assertThat(i.i_dtime()).isZero();
                assertThat(i.i_size()).isEqualTo(4096);
                assertThat(i.i_links_count()).isEqualTo(1);
            });
            commit(f);
            assertThat(lastOrphanOnDisk(f.image)).isZero();
            Inode after = inodeOnDisk(f.image, ino);
            assertThat(after.i_dtime()).isZero();
            assertThat(after.i_size()).isEqualTo(12288);
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void twoInodesOnTheOrphanListChainThroughIdtime() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int a = f.ext4.create(w, Ext4.ROOT_INO, "a", 0644);
            int b = f.ext4.create(w, Ext4.ROOT_INO, "b", 0644);
            f.ext4.open(w, a, true);
            f.ext4.open(w, b, true);
            List<String> seen = new ArrayList<>();
            f.ext4.crashPoints(point -> {
                if (point.equals(Ext4CrashPoints.DIRECT_IO_AFTER_BIOS) && seen.isEmpty()) {
                    // a nested extending write of b while a's is in flight (the kernel's i_rwsem is per inode)
                    seen.add("a");
                    f.ext4.crashPoints(inner -> {
                        if (inner.equals(Ext4CrashPoints.DIRECT_IO_AFTER_BIOS)) {
                            commit(f);
                            seen.add("b: last_orphan " + lastOrphanOnDisk(f.image) + ", next " + inodeOnDisk(f.image, b).i_dtime()
                                    + ", a's next " + inodeOnDisk(f.image, a).i_dtime());
                        }
                    });
                    f.ext4.write(w, b, 0, pattern(4096, 4), DIRECT);
                    commit(f);
                    seen.add("b done: last_orphan " + lastOrphanOnDisk(f.image) + ", a's next " + inodeOnDisk(f.image, a).i_dtime());
                }
            });

            f.ext4.write(w, a, 0, pattern(4096, 5), DIRECT);

            assertThat(seen).containsExactly("a", "b: last_orphan " + b + ", next " + a + ", a's next 0",
                    "b done: last_orphan " + a + ", a's next 0");
            commit(f);
            assertThat(lastOrphanOnDisk(f.image)).isZero();
            f.ext4.release(w, a, true);
            f.ext4.release(w, b, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void misalignedWritesAreEinvalAndChangeNothing() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            f.ext4.write(w, ino, 0, pattern(4096, 1), DIRECT);
            f.clock.advance(Duration.ofSeconds(1));
            int mark = f.sink.events().size();
            int bios = f.block.submitted().size();
            long free = f.ext4.freeBlocks();
            for (long[] bad : new long[][]{{512, 4096}, {0, 100}, {4096, 4097}, {100, 8192}}) {
                assertThatThrownBy(() -> f.ext4.write(w, ino, bad[0], new byte[(int) bad[1]], DIRECT))
                        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
            }
            assertThat(f.sink.events().subList(mark, f.sink.events().size())).isEmpty();
            assertThat(f.block.submitted()).hasSize(bios);
            assertThat(f.ext4.freeBlocks()).isEqualTo(free);
            assertThat(f.ext4.getattr(w, ino).size()).isEqualTo(4096);
            assertThat(f.ext4.read(w, ino, 0, 4096)).isEqualTo(pattern(4096, 1));
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void cachedPagesOfTheRangeAreWrittenBackAndDroppedBeforeTheDirectWrite() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            f.ext4.write(w, ino, 0, pattern(8192, 1), Ext4Mount.WriteFlags.NONE); // delayed, dirty in the cache
            int mark = f.sink.events().size();
            int bios = f.block.submitted().size();
            byte[] data = pattern(4096, 6);

            f.ext4.write(w, ino, 0, data, DIRECT);

            List<String> names = names(ext4Events(f, mark));
            int writepages = names.indexOf("ext4_writepages");
            int release = names.indexOf("ext4_releasepage");
            int enter = names.indexOf("ext4_direct_IO_enter");
            assertThat(writepages).isNotNegative().isLessThan(release);
            assertThat(release).isLessThan(enter);
            assertThat(names.stream().filter("ext4_releasepage"::equals)).hasSize(1); // only the page of the range
            assertThat(text(ext4Events(f, mark), "ext4_writepages", 0)).contains("range_start 0 range_end 4095 sync_mode 1");
            List<DataBio> written = bios(f, bios);
            // the written-back page (allocated now) first, then the direct write over the same block
            assertThat(written).hasSize(2);
            assertThat(written.get(1).block()).isEqualTo(written.get(0).block());
            assertThat(written.get(1).data()).isEqualTo(data);
            assertThat(f.ext4.hasDirtyPages(ino)).isTrue(); // the second page is outside the range and stays dirty
            byte[] expected = pattern(8192, 1);
            System.arraycopy(data, 0, expected, 0, 4096);
            assertThat(f.ext4.read(w, ino, 0, 8192)).isEqualTo(expected);
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
            assertThat(E2fsprogs.debugfs(f.image, "cat /f").stdout()).isEqualTo(expected);
        }
    }

    @Test
    void oDsyncAfterADirectWriteSyncsTheFile() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            int mark = f.sink.events().size();
            int commits = f.journal.commits().size();
            f.ext4.write(w, ino, 0, pattern(4096, 1), new Ext4Mount.WriteFlags(false, false, true, true));
            List<String> names = names(ext4Events(f, mark));
            assertThat(names.indexOf("ext4_sync_file_enter")).isGreaterThan(names.indexOf("ext4_direct_IO_exit"));
            assertThat(names.getLast()).isEqualTo("ext4_sync_file_exit");
            assertThat(f.journal.commits()).hasSizeGreaterThan(commits); // the new size and extent committed
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void theSixProfileLeavesODirectBuffered() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20, KernelProfile.V6X)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            int mark = f.sink.events().size();
            f.ext4.write(w, ino, 0, pattern(4096, 1), DIRECT);
            assertThat(names(ext4Events(f, mark))).contains("ext4_da_write_begin").doesNotContain("ext4_direct_IO_enter");
            assertThat(f.ext4.hasDirtyPages(ino)).isTrue();
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    /**
     * A block a crash left unwritten (its data bios done, the conversion never run), written again after the next
     * mount by an O_DIRECT|O_DSYNC write and then by a buffered one: each path must see the extent as unwritten (the
     * status tree caches it so, as 4.19's ext4_map_blocks does) and convert it, or the acknowledged bytes read as zeros
     * after the following crash. Reads before any write see zeros.
     */
    @Test
    void aBlockACrashLeftUnwrittenIsConvertedByTheWritesThatComeAfter() {
        Path image;
        int ino;
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            ino = f.createOpen(w, "f");
            f.ext4.write(w, ino, 0, pattern(4096, 1), DIRECT);
            f.ext4.truncate(w, ino, 4 * 4096);
            f.ext4.crashPoints(point -> {
                if (point.equals(Ext4CrashPoints.DIRECT_IO_AFTER_BIOS)) {
                    commit(f);
                    throw new IllegalStateException("crashed at " + point);
                }
            });
            assertThatThrownBy(() -> f.ext4.write(w, ino, 4096, pattern(2 * 4096, 2), DIRECT))
                    .hasMessageContaining("crashed");
            image = f.image;
        }
        assertThat(extentsOnDisk(image, ino)).anyMatch(e -> e.unwritten() && e.contains(1) && e.contains(2));
        byte[] direct = pattern(4096, 3);
        byte[] buffered = pattern(4096, 4);
        try (Ext4Fixture g = new Ext4Fixture(image)) {
            TraceContext w = Ext4Fixture.writer(DIO, 8);
            g.ext4.open(w, ino, true);
            assertThat(g.ext4.read(w, ino, 4096, 2 * 4096)).isEqualTo(new byte[2 * 4096]);
            g.ext4.write(w, ino, 4096, direct, new Ext4Mount.WriteFlags(false, false, true, true));
            int mark = g.mark();
            g.ext4.write(w, ino, 2 * 4096, buffered, Ext4Mount.WriteFlags.NONE);
            g.ext4.fsync(w, ino, false);
            // fsync's writepages maps the unwritten buffer with CREATE: ext4_ext_convert_to_initialized, and since the
            // block follows the one the direct write converted, logically and physically, its fast path
            List<TraceEvent> ev = g.since(DIO, mark);
            assertThat(Ext4Fixture.names(ev)).containsSubsequence("ext4_ext_map_blocks_enter",
                    "ext4_ext_handle_unwritten_extents", "ext4_ext_convert_to_initialized_enter",
                    "ext4_ext_convert_to_initialized_fastpath", "ext4_ext_map_blocks_exit");
            assertThat(Ext4Fixture.text(ev, "ext4_ext_convert_to_initialized_enter", 0))
                    .matches("dev 8,1 ino " + ino + " m_lblk 2 m_len 1 u_lblk 2 u_len 1 u_pblk \\d+");
            // the write_begin's lookup found it unwritten (MU); the writepages' CREATE made it new and mapped
            assertThat(Ext4Fixture.text(ev, "ext4_ext_map_blocks_exit", 0)).contains(" lblk 2 ").endsWith("mflags MU ret 1");
            assertThat(ev).filteredOn(e -> e.event().equals("ext4_ext_map_blocks_exit")).last()
                    .satisfies(e -> assertThat(e.text()).contains("flags CREATE").contains(" lblk 2 ").endsWith("mflags NM ret 1"));
            commit(g);
        } // the next crash
        assertThat(extentsOnDisk(image, ino)).noneMatch(Extent::unwritten);
        try (Ext4Fixture h = new Ext4Fixture(image)) {
            TraceContext r = Ext4Fixture.writer("cat", 9);
            assertThat(h.ext4.read(r, ino, 4096, 4096)).isEqualTo(direct);
            assertThat(h.ext4.read(r, ino, 2 * 4096, 4096)).isEqualTo(buffered);
            h.unmountAndCheck();
        }
    }
}
