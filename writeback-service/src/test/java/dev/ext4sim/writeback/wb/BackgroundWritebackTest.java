package dev.ext4sim.writeback.wb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.TraceContext;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackgroundWritebackTest {
    /** 64 MiB of dirtyable memory: thresh 3276 pages, bg_thresh 1636, dirty_limit/8 = 409: 1024-page chunks. */
    private final WbFixture f = new WbFixture(new Writeback.Config(64L << 20, 250, 2, 89));

    @Test
    void aWriterOverTheBackgroundThresholdWakesTheFlusherWhichWritesUntilUnderIt() {
        TraceContext dd = WbFixture.task("dd", 4242);
        f.write(12, 1000);
        assertThat(f.writeback.balance_dirty_pages_ratelimited(WbFixture.SDA1, 1000, dd)).isZero();
        assertThat(f.ext4.calls).as("1000 pages are under bg_thresh 1636").isEmpty();
        assertThat(f.names("dd")).containsExactly("global_dirty_state");

        f.write(13, 700);
        f.sink.clear();
        Duration pause = f.writeback.balance_dirty_pages_ratelimited(WbFixture.SDA1, 700, dd);
        assertThat(pause).as("1700 pages: over bg_thresh, under freerun (2456)").isZero();
        assertThat(f.names("dd")).containsExactly("global_dirty_state", "writeback_wake_background");
        assertThat(f.lines("writeback_wake_background")).containsExactly("bdi 8:0: cgroup=/");

        // the flusher ran at once (inline here): both inodes, background wbc, then under the threshold it stopped
        assertThat(f.ext4.calls).extracting(FakeExt4.Call::ino).containsExactly(12L, 13L);
        assertThat(f.ext4.calls).allSatisfy(c -> {
            assertThat(c.wbc().forBackground()).isTrue();
            assertThat(c.wbc().syncMode()).isEqualTo(WritebackControl.WB_SYNC_NONE);
        });
        assertThat(f.lines("writeback_start").getFirst()).isEqualTo("bdi 8:0: sb_dev 0:0 nr_pages=9223372036854775807"
                + " sync_mode=0 kupdate=0 range_cyclic=1 background=1 reason=background cgroup=/");
        assertThat(f.writeback.vmstat().nr_file_dirty()).isZero();
        assertThat(f.wb.lists().bDirty()).isEmpty();
    }

    @Test
    void anInodeThatUsedItsChunkGoesToBMoreIoAndIsTakenAgainAtTheNextQueueIo() {
        f.write(12, 3000);
        f.advanceToSeconds(1);
        f.write(13, 10);
        List<BdiWriteback.Lists> seen = new java.util.ArrayList<>();
        f.ext4.during = ino -> seen.add(f.wb.lists());

        // the first wb_workfn (5 s after the first dirtying): nothing expired, but 3010 pages > bg_thresh 1636
        f.advanceToSeconds(5);
        assertThat(f.ext4.calls).extracting(FakeExt4.Call::ino, FakeExt4.Call::written)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(12L, 1024L), org.assertj.core.groups.Tuple.tuple(13L, 10L),
                        org.assertj.core.groups.Tuple.tuple(12L, 1024L));
        assertThat(f.ext4.calls).allSatisfy(c -> assertThat(c.wbc().nrToWrite()).isEqualTo(1024));
        assertThat(seen.get(1).bMoreIo()).as("while 13 is written, 12 waits on b_more_io").containsExactly(12L);
        assertThat(seen.get(1).bIo()).containsExactly(13L);
        // 952 pages left: under bg_thresh, background stopped; 12 stays queued on b_more_io with its dirtied_when
        assertThat(f.ext4.dirty(12)).isEqualTo(952);
        assertThat(f.wb.lists().bMoreIo()).containsExactly(12L);
        assertThat(f.wb.inode(WbFixture.SDA1, 12).dirtiedWhen()).isEqualTo(Jiffies.INITIAL_JIFFIES);
        assertThat(f.wb.inode(WbFixture.SDA1, 12).state() & InodeState.I_DIRTY_PAGES).isNotZero();

        // the next kupdate pass (10 s) takes what waits on b_more_io, expired or not
        f.advanceToSeconds(10);
        assertThat(f.ext4.dirty(12)).isZero();
        assertThat(f.ext4.calls.getLast().wbc().forKupdate()).isTrue();
        assertThat(f.wb.lists()).isEqualTo(new BdiWriteback.Lists(List.of(), List.of(), List.of(), List.of(), 0));
    }
}
