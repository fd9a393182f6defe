package dev.ext4sim.bus.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Scheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManualClockTest {

    @Test
    void timeStandsStillUntilAdvanced() {
        ManualClock clock = new ManualClock(Instant.ofEpochMilli(1_000));

        assertThat(clock.nanoTime()).isZero();
        assertThat(clock.currentTimeMillis()).isEqualTo(1_000);
        clock.advance(Duration.ofNanos(2_500_000));
        assertThat(clock.nanoTime()).isEqualTo(2_500_000);
        assertThat(clock.currentTimeMillis()).isEqualTo(1_002);
        assertThat(clock.traceClock().nanosSinceBoot()).isEqualTo(2_500_000);
        assertThatThrownBy(() -> clock.advance(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void advanceRunsDueTasksInDueOrderAtTheirDueTime() {
        ManualClock clock = new ManualClock();
        List<String> ran = new ArrayList<>();
        clock.schedule(Duration.ofMillis(30), () -> ran.add("c@" + clock.elapsed().toMillis()));
        clock.schedule(Duration.ofMillis(10), () -> ran.add("a@" + clock.elapsed().toMillis()));
        clock.schedule(Duration.ofMillis(10), () -> ran.add("b@" + clock.elapsed().toMillis()));

        clock.advanceMillis(9);
        assertThat(ran).isEmpty();
        clock.advanceMillis(21);
        assertThat(ran).containsExactly("a@10", "b@10", "c@30");
        assertThat(clock.elapsed()).isEqualTo(Duration.ofMillis(30));
        assertThat(clock.pendingTasks()).isZero();
    }

    @Test
    void cancelledTasksDoNotRun() {
        ManualClock clock = new ManualClock();
        List<String> ran = new ArrayList<>();
        Scheduler.Cancellable a = clock.schedule(Duration.ofMillis(5), () -> ran.add("a"));
        clock.schedule(Duration.ofMillis(5), () -> ran.add("b"));

        a.cancel();
        assertThat(clock.pendingTasks()).isEqualTo(1);
        clock.advanceMillis(5);
        assertThat(ran).containsExactly("b");
        a.cancel(); // cancelling again, or after the fact, is harmless
    }

    @Test
    void tasksScheduledByTasksRunWhenTheyFallDueInTheSameAdvance() {
        ManualClock clock = new ManualClock();
        List<Long> ran = new ArrayList<>();
        clock.schedule(Duration.ofMillis(1), () -> {
            ran.add(clock.elapsed().toMillis());
            clock.schedule(Duration.ofMillis(1), () -> ran.add(clock.elapsed().toMillis()));
            clock.schedule(Duration.ofMillis(100), () -> ran.add(clock.elapsed().toMillis()));
        });

        clock.advanceMillis(10);

        assertThat(ran).containsExactly(1L, 2L);
        assertThat(clock.pendingTasks()).isEqualTo(1);
    }

    @Test
    void aZeroDelayTaskRunsAtTheNextAdvanceNotInsideSchedule() {
        ManualClock clock = new ManualClock();
        List<String> ran = new ArrayList<>();

        clock.schedule(Duration.ZERO, () -> ran.add("now"));
        clock.schedule(Duration.ofMillis(-5), () -> ran.add("overdue"));
        assertThat(ran).isEmpty();

        clock.runDue();
        assertThat(ran).containsExactly("now", "overdue");
        assertThat(clock.elapsed()).isZero();
    }
}
