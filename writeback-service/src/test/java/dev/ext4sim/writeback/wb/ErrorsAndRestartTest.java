package dev.ext4sim.writeback.wb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import org.junit.jupiter.api.Test;

class ErrorsAndRestartTest {
    private final WbFixture f = new WbFixture();

    @Test
    void anExt4ErrorLeavesTheInodeDirtyAndTheNextPassWritesIt() {
        f.write(12, 2);
        f.ext4.failNext(Errno.ETIMEDOUT);
        f.advanceToSeconds(30);
        assertThat(f.ext4.calls).singleElement().extracting(FakeExt4.Call::written).isEqualTo(-1L);
        assertThat(f.ext4.dirty(12)).isEqualTo(2);
        BdiWriteback.InodeView v = f.wb.inode(WbFixture.SDA1, 12);
        assertThat(v.list()).isEqualTo("b_dirty");
        assertThat(v.state() & InodeState.I_DIRTY_PAGES).isNotZero();
        assertThat(v.dirtiedWhen()).as("still the first dirtying: still expired").isEqualTo(Jiffies.INITIAL_JIFFIES);
        assertThat(f.writeback.vmstat().nr_file_dirty()).isEqualTo(2);
        assertThat(f.lines("writeback_single_inode")).containsExactly(
                "bdi 8:0: ino=12 state=I_DIRTY_PAGES|I_SYNC dirtied_when=4294892296 age=30 index=0 to_write=1024 wrote=0 cgroup=/");
        assertThat(f.wb.dwork().timerArmed()).as("re-armed: dirty io is left").isTrue();

        f.ext4.failNext(Errno.EIO);
        f.advanceToSeconds(35);
        assertThat(f.ext4.dirty(12)).isEqualTo(2);
        f.advanceToSeconds(40);
        assertThat(f.ext4.dirty(12)).isZero();
        assertThat(f.wb.inode(WbFixture.SDA1, 12)).isNull();
        assertThat(f.writeback.vmstat().nr_file_dirty()).isZero();
        assertThat(f.writeback.vmstat().nr_written()).isEqualTo(2);
    }

    @Test
    void anEvictedInodeLeavesTheListsAndOneGoneInExt4IsDroppedNotRetried() {
        f.write(12, 1);
        f.write(13, 1);
        f.write(14, 1);
        assertThat(f.writeback.evict_inode(WbFixture.SDA1, 13)).isTrue();
        assertThat(f.wb.lists().bDirty()).containsExactly(14L, 12L);
        f.ext4.failNext(Errno.ENOENT); // 12 was unlinked in ext4 before we heard of it
        f.advanceToSeconds(30);
        assertThat(f.ext4.calls).extracting(FakeExt4.Call::ino).containsExactly(12L, 14L);
        assertThat(f.wb.lists().bDirty()).isEmpty();
        assertThat(f.wb.inode(WbFixture.SDA1, 12)).isNull();

        // evicted while being written: it leaves when its writeback ends
        f.write(15, 1);
        f.ext4.during = ino -> f.writeback.evict_inode(WbFixture.SDA1, ino);
        f.advanceToSeconds(65);
        assertThat(f.ext4.calls).extracting(FakeExt4.Call::ino).endsWith(15L);
        assertThat(f.wb.inode(WbFixture.SDA1, 15)).isNull();

        f.ext4.during = ino -> {
        };
        f.write(16, 1);
        assertThat(f.writeback.kill_sb(WbFixture.SDA1)).isEqualTo(1);
        assertThat(f.wb.lists().bDirty()).isEmpty();
        assertThat(f.writeback.sync(WbFixture.task("sync", 3))).isCompleted();
        assertThat(f.lines("writeback_queue")).as("an unmounted filesystem gets no sync work").isEmpty();
    }

    @Test
    void anyExceptionFromTheCallLeavesTheInodeDirtyAndUnlocked() {
        f.write(12, 1);
        f.ext4.crashNext = true;
        f.advanceToSeconds(30);
        BdiWriteback.InodeView v = f.wb.inode(WbFixture.SDA1, 12);
        assertThat(v.state() & InodeState.I_SYNC).isZero();
        assertThat(v.state() & InodeState.I_DIRTY_PAGES).isNotZero();
        f.advanceToSeconds(35);
        assertThat(f.ext4.dirty(12)).isZero();
    }

    @Test
    void aFailedSyncStillCompletesAndLeavesTheInodeForLater() {
        f.write(12, 1);
        f.ext4.failNext(Errno.EIO);
        f.ext4.failNext(Errno.EIO);
        assertThat(f.writeback.sync(WbFixture.task("sync", 5))).isCompleted();
        assertThat(f.ext4.dirty(12)).isEqualTo(1);
        assertThat(f.wb.lists().bDirty()).containsExactly(12L);
        f.advanceToSeconds(35);
        assertThat(f.ext4.dirty(12)).isZero();
    }

    @Test
    void aRestartedServiceRebuildsItsListsFromExt4() {
        f.advanceToSeconds(10);
        f.ext4.dirtyAtRestart.add(new Ext4Port.DirtyInode(13, InodeState.I_DIRTY_PAGES, Jiffies.INITIAL_JIFFIES + 500, 3));
        f.ext4.dirtyAtRestart.add(new Ext4Port.DirtyInode(12, InodeState.I_DIRTY_PAGES | InodeState.I_DIRTY_SYNC, Jiffies.INITIAL_JIFFIES + 250, 5));
        f.ext4.dirtyAtRestart.add(new Ext4Port.DirtyInode(14, InodeState.I_DIRTY_TIME, Jiffies.INITIAL_JIFFIES + 100, 0));
        f.ext4.dirty(12, 5);
        f.ext4.dirty(13, 3);

        assertThat(f.writeback.rebuild(WbFixture.SDA1)).isEqualTo(3);
        assertThat(f.wb.lists().bDirty()).as("newest at the head").containsExactly(13L, 12L);
        assertThat(f.wb.lists().bDirtyTime()).containsExactly(14L);
        assertThat(f.wb.inode(WbFixture.SDA1, 12).dirtiedWhen()).isEqualTo(Jiffies.INITIAL_JIFFIES + 250);
        assertThat(f.writeback.vmstat().nr_file_dirty()).isEqualTo(8);
        assertThat(f.wb.dwork().timerArmed()).isTrue();
        assertThat(f.writeback.rebuild(WbFixture.SDA1)).as("a second rebuild adds nothing").isZero();
        assertThat(f.writeback.vmstat().nr_file_dirty()).isEqualTo(8);

        // the flusher runs every 5 s from the rebuild (10 s): at 30 s neither is 30 s old, at 35 s both, oldest first
        f.advanceToSeconds(34.9);
        assertThat(f.ext4.calls).isEmpty();
        f.advanceToSeconds(35);
        assertThat(f.ext4.writtenInos()).containsExactly(12L, 13L);
        assertThat(f.wb.lists().bDirtyTime()).as("lazytime: 12 h to expire").containsExactly(14L);
    }

    @Test
    void jiffiesStartWhereA64BitKernelsDoAndADirtiedWhenFromTheFutureIsTakenAsNow() {
        assertThat(f.writeback.jiffies().now()).isEqualTo(4294892296L);
        f.advanceToSeconds(2);
        assertThat(f.writeback.jiffies().now()).isEqualTo(4294892296L + 500);
        FsWriteback.Marked m = f.writeback.mark_inode_dirty(WbFixture.SDA1, 12, InodeState.I_DIRTY_PAGES,
                Jiffies.INITIAL_JIFFIES + 1_000_000);
        assertThat(m.dirtiedWhen()).isEqualTo(Jiffies.INITIAL_JIFFIES + 500);
    }

    @Test
    void badNotificationsGetAnErrnoAndChangeNothing() {
        f.write(12, 1);
        BdiWriteback.Lists before = f.wb.lists();
        long dirty = f.writeback.vmstat().nr_file_dirty();
        int sdb1 = BackingDevInfo.MKDEV(8, 17);
        assertErrno(Errno.ENODEV, () -> f.writeback.mark_inode_dirty(sdb1, 12, InodeState.I_DIRTY_PAGES, 0));
        assertErrno(Errno.EINVAL, () -> f.writeback.mark_inode_dirty(WbFixture.SDA1, 12, 0, 0));
        assertErrno(Errno.EINVAL, () -> f.writeback.mark_inode_dirty(WbFixture.SDA1, 12, InodeState.I_SYNC, 0));
        assertErrno(Errno.EINVAL, () -> f.writeback.mark_inode_dirty(WbFixture.SDA1, 0, InodeState.I_DIRTY_PAGES, 0));
        assertErrno(Errno.EINVAL, () -> f.writeback.mark_inode_dirty(WbFixture.SDA1, 15, InodeState.I_DIRTY_PAGES, -1));
        assertErrno(Errno.EINVAL, () -> f.writeback.account_page_dirtied(WbFixture.SDA1, -3));
        assertErrno(Errno.ENODEV, () -> f.writeback.account_page_dirtied(sdb1, 3));
        assertErrno(Errno.ENODEV, () -> f.writeback.sync_inodes_sb(sdb1, WbFixture.task("sync", 1)));
        assertThat(f.wb.lists()).isEqualTo(before);
        assertThat(f.writeback.vmstat().nr_file_dirty()).isEqualTo(dirty);
    }

    private static void assertErrno(Errno errno, Runnable r) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }
}
