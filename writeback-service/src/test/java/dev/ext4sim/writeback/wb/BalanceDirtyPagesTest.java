package dev.ext4sim.writeback.wb;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BalanceDirtyPagesTest {
    private final WbFixture f = new WbFixture();

    /** One balance_dirty_pages round of a fresh writer (no think time) after it dirtied 32 pages, at {@code dirty}. */
    private PageWriteback.Throttle at(long dirty, int pid) {
        long now = f.writeback.vmstat().nr_file_dirty();
        f.writeback.vmstat().account_page_dirtied(dirty - now);
        return f.writeback.balance_dirty_pages(WbFixture.SDA1, 32, WbFixture.task("dd", pid));
    }

    @Test
    void noPauseUnderFreerunThenPausesGrowWithDirtyPagesUpToMaxPause() {
        // 1 GiB: bg_thresh 26176, thresh = dirty_limit 52416, freerun 39296, setpoint 45856
        List<Duration> pauses = new ArrayList<>();
        int pid = 1000;
        for (long dirty = 0; dirty <= 60_000; dirty += 1000) {
            PageWriteback.Throttle t = at(dirty, pid++);
            pauses.add(t.pause());
            if (dirty <= 39_296) {
                assertThat(t.pause()).as("freerun at %d", dirty).isZero();
            } else {
                assertThat(t.freerun()).isEqualTo(39_296);
                assertThat(t.setpoint()).isEqualTo(45_856);
            }
            if (dirty >= 52_416) {
                assertThat(t.pause()).as("at or over the limit at %d", dirty).isEqualTo(PageWriteback.MAX_PAUSE);
            }
        }
        for (int i = 1; i < pauses.size(); i++) {
            assertThat(pauses.get(i)).as("monotonic at step %d", i).isGreaterThanOrEqualTo(pauses.get(i - 1));
        }
        Duration justOverFreerun = pauses.get(40);
        Duration atSetpoint = pauses.get(46);
        Duration nearLimit = pauses.get(52);
        assertThat(justOverFreerun).isPositive().isLessThan(atSetpoint);
        assertThat(atSetpoint).isLessThan(nearLimit);
        assertThat(nearLimit).isLessThan(PageWriteback.MAX_PAUSE);
        // at the setpoint the task runs at the wb's rate: 32 pages at 25600 pages/s = 1.25 ms
        assertThat(atSetpoint.toNanos()).isBetween(1_100_000L, 1_400_000L);
    }

    @Test
    void theThrottleIsTracedInTheWriterAndWakesBackgroundWriteback() {
        f.write(12, 1);
        f.sink.clear();
        PageWriteback.Throttle t = at(60_000, 555);
        assertThat(t.pause()).isEqualTo(Duration.ofMillis(200));
        assertThat(f.names("dd")).containsExactly("global_dirty_state", "writeback_wake_background",
                "balance_dirty_pages");
        assertThat(f.lines("balance_dirty_pages")).containsExactly("bdi 8:0: limit=52416 setpoint=45856 dirty=60000"
                + " bdi_setpoint=45855 bdi_dirty=60000 dirty_ratelimit=102400 task_ratelimit=0 dirtied=32"
                + " dirtied_pause=1 paused=0 pause=200 period=200 think=0 cgroup=/");
        assertThat(f.lines("global_dirty_state").getFirst()).isEqualTo(
                "dirty=60000 writeback=0 unstable=0 bg_thresh=26176 thresh=52416 limit=52416 dirtied=60000 written=0");
        assertThat(f.names("kworker")).as("the flusher ran").contains("writeback_start");
    }

    @Test
    void theRatelimitedEntryWaitsForTheTasksPollInterval() {
        assertThat(f.writeback.balance_dirty_pages_ratelimited(WbFixture.SDA1, 31, WbFixture.task("cp", 9)))
                .isZero();
        assertThat(f.sink.events()).as("31 pages: under a new task's nr_dirtied_pause of 32").isEmpty();
        f.writeback.balance_dirty_pages_ratelimited(WbFixture.SDA1, 1, WbFixture.task("cp", 9));
        assertThat(f.lines("global_dirty_state")).hasSize(1);
    }

    @Test
    void thinkTimeIsCredited() {
        at(48_000, 1);
        PageWriteback.Throttle busy = f.writeback.balance_dirty_pages(WbFixture.SDA1, 32, WbFixture.task("dd", 1));
        assertThat(busy.pause()).isPositive();
        f.clock.advance(Duration.ofSeconds(2));
        PageWriteback.Throttle rested = f.writeback.balance_dirty_pages(WbFixture.SDA1, 32, WbFixture.task("dd", 1));
        assertThat(rested.pause()).as("it thought longer than the period").isZero();
    }

    @Test
    void posRatioIsTwoAtFreerunOneAtTheSetpointAndZeroAtTheLimit() {
        assertThat(PageWriteback.pos_ratio_polynom(45_856, 39_296, 52_416)).isBetween(2040L, 2048L); // 1/1024 steps
        assertThat(PageWriteback.pos_ratio_polynom(45_856, 45_856, 52_416)).isEqualTo(1024);
        assertThat(PageWriteback.pos_ratio_polynom(45_856, 52_416, 52_416)).isBetween(0L, 2L);
        assertThat(PageWriteback.dirty_poll_interval(0, 52_416)).isEqualTo(128); // 1 << (ilog2(52416) >> 1)
        assertThat(PageWriteback.dirty_poll_interval(60_000, 52_416)).isEqualTo(1);
    }
}
