package dev.ext4sim.writeback.wb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DelayedWorkTest {
    private final ManualClock clock = new ManualClock();
    private final List<Duration> runs = new ArrayList<>();
    private DelayedWork dwork;

    private DelayedWork make(Runnable extra) {
        dwork = new DelayedWork(() -> {
            runs.add(clock.elapsed());
            extra.run();
        }, Workqueue.INLINE, clock);
        return dwork;
    }

    @Test
    void queueDelayedWorkLeavesAPendingTimerAlone() {
        make(() -> {
        });
        assertThat(dwork.queue_delayed_work(Duration.ofSeconds(5))).isTrue();
        clock.advance(Duration.ofSeconds(2));
        assertThat(dwork.queue_delayed_work(Duration.ofSeconds(5))).isFalse();
        clock.advance(Duration.ofSeconds(10));
        assertThat(runs).containsExactly(Duration.ofSeconds(5));
        assertThat(dwork.delayed_work_pending()).isFalse();
    }

    @Test
    void modDelayedWorkReArmsAndZeroRunsAtOnce() {
        make(() -> {
        });
        dwork.queue_delayed_work(Duration.ofSeconds(5));
        clock.advance(Duration.ofSeconds(1));
        dwork.mod_delayed_work(Duration.ofSeconds(1));
        clock.advance(Duration.ofSeconds(10));
        assertThat(runs).containsExactly(Duration.ofSeconds(2));
        dwork.mod_delayed_work(Duration.ZERO);
        assertThat(runs).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(11));
        assertThat(clock.pendingTasks()).isZero();
    }

    @Test
    void queuedWhileRunningRunsOnceMoreAfterwardsNeverInside() {
        int[] depth = {0};
        make(() -> {
            depth[0]++;
            assertThat(depth[0]).isEqualTo(1);
            if (runs.size() == 1) {
                dwork.mod_delayed_work(Duration.ZERO);
            }
            depth[0]--;
        });
        dwork.mod_delayed_work(Duration.ZERO);
        assertThat(runs).hasSize(2);
    }

    @Test
    void cancelDropsTheTimer() {
        make(() -> {
        });
        dwork.queue_delayed_work(Duration.ofSeconds(1));
        assertThat(dwork.cancel_delayed_work()).isTrue();
        clock.advance(Duration.ofSeconds(5));
        assertThat(runs).isEmpty();
        assertThat(dwork.queue_delayed_work(Duration.ofSeconds(1))).isTrue();
    }
}
