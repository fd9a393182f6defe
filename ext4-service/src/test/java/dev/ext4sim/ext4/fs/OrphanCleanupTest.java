package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ondisk.ext4.Bitmaps;
import dev.ext4sim.ondisk.ext4.Ext4;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.Extent;
import dev.ext4sim.ondisk.ext4.Inode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ext4_orphan_cleanup at mount, and what leaves an orphan behind for it: a crash in the middle of an extending direct
 * write; and ext4_truncate_failed_write, which frees a failed extending write's blocks before it leaves the list.
 */
class OrphanCleanupTest {
    static final Ext4Mount.WriteFlags DIRECT = new Ext4Mount.WriteFlags(false, false, false, true);

    @TempDir
    Path dir;

    private static byte[] pattern(int len, int seed) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (i * 7 + seed);
        }
        return b;
    }

    /** The fake journal's commit checkpoints at once: the image then holds what a crash from here would leave. */
    private static void commit(Ext4Fixture f) {
        f.journal.commit();
        f.dev.flush();
    }

    private static List<Extent> extents(Path image, int ino) {
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            return fs.extents().extents(fs.inodes().read(ino));
        }
    }

    private static Inode inode(Path image, int ino) {
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            return fs.inodes().read(ino);
        }
    }

    private static int lastOrphan(Path image) {
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            return fs.superBlock().s_last_orphan();
        }
    }

    private static long freeBlocksInGroups(Path image) {
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            long free = 0;
            for (int g = 0; g < fs.groupCount(); g++) {
                free += fs.group(g).bg_free_blocks_count();
            }
            return free;
        }
    }

    private static boolean inodeInUse(Path image, int ino) {
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            int perGroup = fs.geometry().inodesPerGroup();
            return Bitmaps.test(fs.bitmaps().inodeBitmap((ino - 1) / perGroup), (ino - 1) % perGroup);
        }
    }

    private static long blocksIn(List<Extent> extents) {
        return extents.stream().mapToLong(Extent::len).sum();
    }

    /** The mounting task's events from {@code mark} on, named and with their text. */
    private static List<String> mountEvents(Ext4Fixture f, int mark, String... names) {
        List<String> wanted = List.of(names);
        return f.sink.events().subList(mark, f.sink.events().size()).stream()
                .filter(e -> e.comm().equals("mount") && wanted.contains(e.event()))
                .map(e -> e.event() + ": " + e.text()).toList();
    }

    @Test
    void theMountTruncatesALinkedOrphanAndDeletesAnUnlinkedOne() {
        Path image;
        int a;
        int u;
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("dio", 7);
            a = f.ext4.create(w, Ext4.ROOT_INO, "a", 0644);
            u = f.ext4.create(w, Ext4.ROOT_INO, "u", 0644);
            f.ext4.open(w, a, true);
            f.ext4.open(w, u, true);
            f.ext4.write(w, a, 0, pattern(8192, 1), DIRECT);
            f.ext4.write(w, u, 0, pattern(8192, 2), DIRECT);
            f.ext4.unlink(w, Ext4.ROOT_INO, "u"); // still open: the inode stays, with no link
            commit(f);
            image = f.image;
        } // the crash: nothing more of this mount reaches the image
        // what the kernel's list would hold: a being extended past 4096 (its second block beyond the on-disk size),
        // u unlinked while open; a is the head, its i_dtime names u
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            Inode ia = fs.inodes().read(a);
            ia.i_size(4096);
            ia.i_dtime(u);
            fs.inodes().write(ia);
            fs.superBlock().s_last_orphan(a);
            fs.setNeedsRecovery(true);
        }
        assertThat(inode(image, u).i_links_count()).isZero();
        assertThat(blocksIn(extents(image, a))).isEqualTo(2);
        assertThat(blocksIn(extents(image, u))).isEqualTo(2);
        long freeBefore = freeBlocksInGroups(image);

        try (Ext4Fixture g = new Ext4Fixture(image)) {
            assertThat(g.ext4.mountMessages()).extracting(m -> m.line("sda1", "mount")).containsExactly(
                    "EXT4-fs (sda1): 1 orphan inode deleted", "EXT4-fs (sda1): 1 truncate cleaned up");
            assertThat(mountEvents(g, 0, "ext4_truncate_enter", "ext4_truncate_exit", "ext4_free_inode")).containsExactly(
                    "ext4_truncate_enter: dev 8,1 ino " + a + " blocks 16",
                    "ext4_truncate_exit: dev 8,1 ino " + a + " blocks 8",
                    "ext4_truncate_enter: dev 8,1 ino " + u + " blocks 16",
                    "ext4_truncate_exit: dev 8,1 ino " + u + " blocks 0",
                    "ext4_free_inode: dev 8,1 ino " + u + " mode 0100644 uid 0 gid 0 blocks 0");
            assertThat(g.ext4.freeBlocks()).isEqualTo(freeBefore + 3);
            TraceContext r = Ext4Fixture.writer("cat", 9);
            assertThat(g.ext4.getattr(r, a).size()).isEqualTo(4096);
            assertThat(g.ext4.read(r, a, 0, 4096)).isEqualTo(java.util.Arrays.copyOf(pattern(8192, 1), 4096));
            assertThatThrownBy(() -> g.ext4.getattr(r, u)).isInstanceOf(ErrnoException.class);
            commit(g);
            assertThat(lastOrphan(image)).isZero();
            assertThat(extents(image, a)).singleElement().satisfies(e -> assertThat(e.lblk()).isZero())
                    .satisfies(e -> assertThat(e.len()).isEqualTo(1));
            assertThat(inode(image, a).i_dtime()).isZero();
            assertThat(inodeInUse(image, u)).isFalse();
            assertThat(inode(image, u).i_dtime()).isNotZero();
            assertThat(freeBlocksInGroups(image)).isEqualTo(freeBefore + 3);
            g.unmountAndCheck();
        }
    }

    @Test
    void aFileUnlinkedWhileOpenIsOnTheOrphanListSoACrashBeforeItsCloseLeaksNothing() {
        Path image;
        int u;
        int v;
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("rm", 7);
            u = f.createOpen(w, "u");
            v = f.createOpen(w, "v");
            f.ext4.write(w, u, 0, pattern(8192, 7), Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(w, u, false);
            f.ext4.release(w, v, true);
            f.ext4.unlink(w, Ext4.ROOT_INO, "v"); // closed: on the list and off it again at once, in its eviction
            assertThat(inodeInUse(f.image, v)).isTrue(); // not committed yet
            f.ext4.unlink(w, Ext4.ROOT_INO, "u"); // still open: ext4_unlink's ext4_orphan_add keeps it listed
            commit(f);
            image = f.image;
            assertThat(inodeInUse(image, v)).isFalse();
        } // the crash, the file still open
        assertThat(lastOrphan(image)).isEqualTo(u);
        assertThat(inode(image, u).i_links_count()).isZero();
        assertThat(inode(image, u).i_dtime()).isZero(); // the end of the chain
        long freeBefore = freeBlocksInGroups(image);

        try (Ext4Fixture g = new Ext4Fixture(image)) {
            assertThat(g.ext4.mountMessages()).extracting(m -> m.line("sda1", "mount"))
                    .containsExactly("EXT4-fs (sda1): 1 orphan inode deleted");
            commit(g);
            assertThat(lastOrphan(image)).isZero();
            assertThat(inodeInUse(image, u)).isFalse();
            assertThat(freeBlocksInGroups(image)).isEqualTo(freeBefore + 2);
            g.unmountAndCheck();
        }
    }

    @Test
    void aCrashInTheMiddleOfAnExtendingDirectWriteIsTruncatedBackAtTheNextMount() {
        Path image;
        int ino;
        byte[] old = pattern(4096, 3);
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            assertThat(f.ext4.mountMessages()).isEmpty();
            TraceContext w = Ext4Fixture.writer("dio", 7);
            ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            f.ext4.write(w, ino, 0, old, DIRECT);
            commit(f);
            f.ext4.crashPoints(point -> {
                if (point.equals(Ext4CrashPoints.DIRECT_IO_AFTER_BIOS)) {
                    commit(f); // the orphan entry and the new blocks reached the journal's home before the crash
                    throw new IllegalStateException("crashed at " + point);
                }
            });
            assertThatThrownBy(() -> f.ext4.write(w, ino, 4096, pattern(8192, 4), DIRECT))
                    .hasMessageContaining(Ext4CrashPoints.DIRECT_IO_AFTER_BIOS);
            image = f.image;
        }
        assertThat(lastOrphan(image)).isEqualTo(ino);
        assertThat(inode(image, ino).i_size()).isEqualTo(4096);
        assertThat(blocksIn(extents(image, ino))).isEqualTo(3);
        long freeBefore = freeBlocksInGroups(image);

        try (Ext4Fixture g = new Ext4Fixture(image)) {
            assertThat(g.ext4.mountMessages()).containsExactly(KernelMessage.info("1 truncate cleaned up"));
            assertThat(mountEvents(g, 0, "ext4_truncate_enter", "ext4_journal_start", "ext4_truncate_exit")).containsExactly(
                    "ext4_truncate_enter: dev 8,1 ino " + ino + " blocks 24",
                    "ext4_journal_start: dev 8,1 blocks, " + g.journal.started().getLast().credits()
                            + " rsv_blocks, 0 caller " + Caller.TRUNCATE.symbol(),
                    "ext4_truncate_exit: dev 8,1 ino " + ino + " blocks 8");
            assertThat(g.journal.started()).extracting(FakeJournal.Started::comm, FakeJournal.Started::type)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("mount", Super.HT_TRUNCATE));
            TraceContext r = Ext4Fixture.writer("cat", 9);
            assertThat(g.ext4.getattr(r, ino).size()).isEqualTo(4096);
            assertThat(g.ext4.read(r, ino, 0, 8192)).isEqualTo(old);
            commit(g);
            assertThat(lastOrphan(image)).isZero();
            assertThat(blocksIn(extents(image, ino))).isEqualTo(1);
            assertThat(freeBlocksInGroups(image)).isEqualTo(freeBefore + 2);
            g.unmountAndCheck();
        }
    }

    @Test
    void aFailedExtendingDirectWriteFreesItsBlocksBeforeItLeavesTheOrphanList() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("dio", 7);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            byte[] old = pattern(4096, 5);
            f.ext4.write(w, ino, 0, old, DIRECT);
            commit(f);
            long free = f.ext4.freeBlocks();
            int mark = f.sink.events().size();
            int handles = f.journal.started().size();
            f.block.failWrites(true);

            assertThatThrownBy(() -> f.ext4.write(w, ino, 4096, pattern(8192, 6), DIRECT))
                    .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
            f.block.failWrites(false);

            List<TraceEvent> ev = f.sink.events().subList(mark, f.sink.events().size()).stream()
                    .filter(e -> e.comm().equals("dio") && e.system().equals("ext4")).toList();
            List<String> names = ev.stream().map(TraceEvent::event).toList();
            int truncated = names.indexOf("ext4_truncate_enter");
            assertThat(truncated).isPositive();
            // ext4_truncate_failed_write, then the orphan handle that finds the entry gone, then the exit with EIO
            assertThat(names.subList(truncated, names.size())).containsExactly("ext4_truncate_enter", "ext4_es_remove_extent",
                    "ext4_journal_start", "ext4_mark_inode_dirty", "ext4_truncate_exit", "ext4_journal_start",
                    "ext4_direct_IO_exit");
            assertThat(ev.get(truncated).text()).isEqualTo("dev 8,1 ino " + ino + " blocks 24");
            assertThat(ev.get(truncated + 1).text()).startsWith("dev 8,1 ino " + ino + " es [1/");
            assertThat(ev.get(truncated + 2).text()).endsWith(" caller " + Caller.TRUNCATE.symbol());
            assertThat(ev.get(truncated + 4).text()).isEqualTo("dev 8,1 ino " + ino + " blocks 8");
            assertThat(ev.getLast().text()).isEqualTo("dev 8,1 ino " + ino + " pos 4096 len 8192 rw 1 ret -5");
            assertThat(f.journal.started().subList(handles, f.journal.started().size()))
                    .extracting(FakeJournal.Started::type)
                    .endsWith(Super.HT_MAP_BLOCKS, Super.HT_TRUNCATE, Super.HT_INODE);
            assertThat(f.ext4.freeBlocks()).isEqualTo(free);
            assertThat(f.ext4.getattr(w, ino).size()).isEqualTo(4096);
            commit(f);
            assertThat(lastOrphan(f.image)).isZero();
            assertThat(inode(f.image, ino).i_dtime()).isZero();
            assertThat(inode(f.image, ino).i_size()).isEqualTo(4096);
            assertThat(blocksIn(extents(f.image, ino))).isEqualTo(1);
            assertThat(f.ext4.read(w, ino, 0, 4096)).isEqualTo(old);
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    /** A cleanly unmounted image, with one 4096-byte file (inode 12) if asked. */
    private Path cleanImage(boolean createFile) {
        Path image;
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            if (createFile) {
                TraceContext w = Ext4Fixture.writer("dio", 7);
                int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
                f.ext4.open(w, ino, true);
                f.ext4.write(w, ino, 0, pattern(4096, 8), DIRECT);
                f.ext4.release(w, ino, true);
            }
            f.ext4.unmount(Ext4Fixture.MOUNT);
            image = f.image;
        }
        return image;
    }

    private static void setLastOrphan(Path image, int ino) {
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            fs.superBlock().s_last_orphan(ino);
            fs.setNeedsRecovery(true);
        }
    }

    @Test
    void anOrphanWithNothingPastItsSizeStillLeavesTheListInATruncateHandle() {
        Path image = cleanImage(true);
        setLastOrphan(image, 12); // crashed after ext4_orphan_add, before any block was mapped
        long free = freeBlocksInGroups(image);
        try (Ext4Fixture g = new Ext4Fixture(image)) {
            assertThat(g.ext4.mountMessages()).containsExactly(KernelMessage.info("1 truncate cleaned up"));
            assertThat(g.journal.started()).extracting(FakeJournal.Started::type).containsExactly(Super.HT_TRUNCATE);
            commit(g);
            assertThat(lastOrphan(image)).isZero();
            assertThat(freeBlocksInGroups(image)).isEqualTo(free);
            assertThat(blocksIn(extents(image, 12))).isEqualTo(1);
            g.unmountAndCheck();
        }
    }

    @Test
    void anOrphanWhoseInodeIsNotInUseEndsTheCleanupWithTheKernelsError() {
        Path image = cleanImage(false);
        setLastOrphan(image, 20); // e2fsck cleared the inode, not the list (or the list is garbage)
        try (Ext4Fixture g = new Ext4Fixture(image)) {
            assertThat(g.ext4.mountMessages()).extracting(m -> m.line("sda1", "mount"))
                    .containsExactly("EXT4-fs error (device sda1): ext4_orphan_get: comm mount: bad orphan inode 20");
            assertThat(g.journal.started()).isEmpty();
            g.unmountAndCheck(); // s_last_orphan 0 goes home with the clean superblock
            assertThat(lastOrphan(image)).isZero();
        }
    }

    @Test
    void theDirectWriteCrashPointIsListedForTheProfileThatReachesIt() {
        assertThat(Ext4CrashPoints.points(KernelProfile.V4X)).extracting(p -> p.name())
                .contains(Ext4CrashPoints.DIRECT_IO_AFTER_BIOS).doesNotContain(Ext4CrashPoints.END_IO_BEFORE_CONVERSION);
        assertThat(Ext4CrashPoints.points(KernelProfile.V6X)).extracting(p -> p.name())
                .contains(Ext4CrashPoints.END_IO_BEFORE_CONVERSION).doesNotContain(Ext4CrashPoints.DIRECT_IO_AFTER_BIOS);
    }
}
