package dev.ext4sim.writeback.wb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.TraceEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeriodicWritebackTest {
    private final WbFixture f = new WbFixture();

    @Test
    void theDeviceAnnouncementCreatesTheFlusherOfBdi8_0() {
        assertThat(f.wb.name()).isEqualTo("8:0");
        assertThat(f.wb.worker().comm()).isEqualTo("kworker/u16:2");
        assertThat(f.wb.worker().pid()).isEqualTo(89);
        assertThat(f.writeback.wbOf(WbFixture.SDA1)).isSameAs(f.wb);
        // announced again (blockdev restarted): the same wb, its lists kept
        f.write(12, 1);
        assertThat(f.writeback.bdi_register(WbFixture.sda())).isSameAs(f.wb);
        assertThat(f.wb.lists().bDirty()).containsExactly(12L);
        assertThat(f.wb.dwork().timerArmed()).isTrue();
    }

    @Test
    void aFirstDirtyInodeArmsTheFlusherOnceAndKeepsItsFirstDirtiedWhen() {
        f.advanceToSeconds(1);
        FsWriteback.Marked first = f.write(12, 1);
        assertThat(first.enqueued()).isTrue();
        assertThat(first.dirtiedWhen()).isEqualTo(Jiffies.INITIAL_JIFFIES + 250); // 1 s at HZ 250
        assertThat(f.clock.pendingTasks()).isEqualTo(1);

        f.advanceToSeconds(3);
        FsWriteback.Marked again = f.write(12, 1);
        assertThat(again.enqueued()).isFalse();
        assertThat(again.dirtiedWhen()).isEqualTo(Jiffies.INITIAL_JIFFIES + 250);
        f.write(13, 1);
        assertThat(f.clock.pendingTasks()).as("the timer is not re-armed by later dirtying").isEqualTo(1);
        assertThat(f.wb.lists().bDirty()).containsExactly(13L, 12L);
        assertThat(f.writeback.vmstat().nr_file_dirty()).isEqualTo(3);
    }

    @Test
    void periodicWritebackWritesOnlyExpiredInodesWithTheSeedsEvents() {
        f.advanceToSeconds(1);
        f.write(12, 1);
        f.advanceToSeconds(20);
        f.write(13, 2);

        f.advanceToSeconds(30.9);
        assertThat(f.ext4.calls).as("nothing is 30 s old before 31 s").isEmpty();
        assertThat(f.names("kworker")).contains("writeback_start", "writeback_queue_io", "writeback_written")
                .doesNotContain("writeback_single_inode_start");
        f.sink.clear();

        f.advanceToSeconds(31);
        assertThat(f.ext4.writtenInos()).containsExactly(12L);
        FakeExt4.Call call = f.ext4.calls.getFirst();
        assertThat(call.wbc()).isEqualTo(new WritebackControl(1024, WritebackControl.WB_SYNC_NONE, true, false, false,
                true, 0, Long.MAX_VALUE, WbReason.WB_REASON_PERIODIC));
        assertThat(call.comm()).isEqualTo("kworker/u16:2");
        assertThat(f.wb.lists().bDirty()).containsExactly(13L);
        assertThat(f.ext4.dirty(12)).isZero();
        assertThat(f.writeback.vmstat().nr_file_dirty()).isEqualTo(2);

        assertThat(f.names("kworker")).containsExactly(
                "writeback_start", "writeback_queue_io",
                "writeback_single_inode_start", "writeback_write_inode_start", "writeback_write_inode",
                "writeback_single_inode", "writeback_written",
                "writeback_start", "writeback_queue_io", "writeback_written", // progress: one more pass, nothing left
                "global_dirty_state", // wb_check_background_flush: under the background threshold
                "writeback_pages_written");
        assertThat(f.lines("writeback_start").getFirst()).isEqualTo(
                "bdi 8:0: sb_dev 0:0 nr_pages=5 sync_mode=0 kupdate=1 range_cyclic=1 background=0 reason=periodic cgroup=/");
        assertThat(f.lines("writeback_queue_io").getFirst()).isEqualTo(
                "bdi 8:0: older=4294892546 age=30000 enqueue=1 reason=periodic cgroup=/");
        assertThat(f.lines("writeback_single_inode_start")).containsExactly(
                "bdi 8:0: ino=12 state=I_DIRTY_SYNC|I_DIRTY_PAGES|I_SYNC dirtied_when=4294892546 age=30 index=0 to_write=1024 wrote=0 cgroup=/");
        assertThat(f.lines("writeback_single_inode")).containsExactly(
                "bdi 8:0: ino=12 state=I_SYNC dirtied_when=4294892546 age=30 index=1 to_write=1024 wrote=1 cgroup=/");
        assertThat(f.lines("writeback_written").getFirst()).isEqualTo(
                "bdi 8:0: sb_dev 0:0 nr_pages=4 sync_mode=0 kupdate=1 range_cyclic=1 background=0 reason=periodic cgroup=/");
        assertThat(f.lines("writeback_write_inode_start")).containsExactly("bdi 8:0: ino=12 sync_mode=0 cgroup=/");
        assertThat(f.lines("writeback_pages_written")).containsExactly("1");
        assertThat(f.lines("global_dirty_state")).containsExactly(
                "dirty=2 writeback=0 unstable=0 bg_thresh=26176 thresh=52416 limit=52416 dirtied=3 written=1");
        TraceEvent start = f.sink.events("writeback_start").getFirst();
        assertThat(f.ftrace(start)).isEqualTo("   kworker/u16:2-89    [00" + start.cpu()
                + "] ...1    31.000000: writeback_start: bdi 8:0: sb_dev 0:0 nr_pages=5 sync_mode=0 kupdate=1"
                + " range_cyclic=1 background=0 reason=periodic cgroup=/");

        f.sink.clear();
        f.advanceToSeconds(51);
        assertThat(f.ext4.writtenInos()).containsExactly(12L, 13L);
        assertThat(f.wb.lists().bDirty()).isEmpty();
        assertThat(f.wb.inode(WbFixture.SDA1, 13)).isNull();
        f.advanceToSeconds(120);
        assertThat(f.clock.pendingTasks()).as("no dirty io: the flusher sleeps until the next dirtying").isZero();
        assertThat(f.ext4.calls).hasSize(2);
    }

    @Test
    void theInodeDirtiedDuringWritepagesGetsWriteInodeInTheSamePass() {
        // only pages dirty as writeback knows it; ext4's delalloc quota claim dirties the inode while it holds I_SYNC
        f.ext4.dirty(12, 1);
        f.writeback.account_page_dirtied(WbFixture.SDA1, 1);
        f.writeback.mark_inode_dirty(WbFixture.SDA1, 12, InodeState.I_DIRTY_PAGES);
        f.ext4.inodeDirty = InodeState.I_DIRTY_SYNC;
        f.advanceToSeconds(31);
        assertThat(f.ext4.writtenInos()).containsExactly(12L);
        assertThat(f.names("kworker")).containsSubsequence("writeback_single_inode_start", "writeback_write_inode_start",
                "writeback_write_inode", "writeback_single_inode");
        assertThat(f.lines("writeback_single_inode_start").getFirst()).contains(" state=I_DIRTY_PAGES|I_SYNC ");
        assertThat(f.wb.lists().bDirty()).as("taken with the rest: the inode is clean").isEmpty();
    }

    @Test
    void eachWorkfnRunEndsWithPagesWrittenAndEveryEventIsInTheKworkerTask() {
        f.write(12, 3);
        f.advanceToSeconds(40);
        List<TraceEvent> kworker = f.sink.events().stream().filter(e -> e.event().startsWith("writeback")).toList();
        assertThat(kworker).allSatisfy(e -> {
            assertThat(e.comm()).isEqualTo("kworker/u16:2");
            assertThat(e.pid()).isEqualTo(89);
        });
        assertThat(f.lines("writeback_pages_written")).contains("3");
    }
}
