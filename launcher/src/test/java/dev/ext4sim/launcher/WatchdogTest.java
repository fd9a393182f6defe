package dev.ext4sim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The watchdog's decisions on a fake clock and fake processes: back-off, recovery time, crash loop, stop on purpose. */
class WatchdogTest {
    final Component jbd2 = Component.byName("jbd2-service").orElseThrow();
    final Component ext4 = Component.byName("ext4-service").orElseThrow();
    long nanos = 1_000_000_000L;
    final Set<Component> expected = new HashSet<>(List.of(jbd2, ext4));
    final Set<Component> running = new HashSet<>(List.of(jbd2, ext4));
    final List<String> starts = new ArrayList<>();
    /** How long a start takes, and whether the process then stays up. */
    Duration startTakes = Duration.ofSeconds(3);
    boolean startWorks = true;
    boolean held;
    final ByteArrayOutputStream log = new ByteArrayOutputStream();

    /** The processes as sets; a start takes {@link #startTakes} of the fake clock. */
    final class FakeProcesses implements Watchdog.Processes {
        @Override
        public boolean expected(Component c) {
            return expected.contains(c);
        }

        @Override
        public boolean running(Component c) {
            return running.contains(c);
        }

        @Override
        public boolean start(Component c) {
            starts.add(c.name() + "@" + (nanos / 1_000_000) + "ms");
            nanos += startTakes.toNanos();
            if (startWorks) {
                running.add(c);
            }
            return startWorks;
        }

        @Override
        public boolean held() {
            return held;
        }

        @Override
        public void kill(Component c) {
            killed.add(c.name());
            running.remove(c);
        }
    }

    final List<String> killed = new ArrayList<>();

    final Watchdog watchdog = watchdog(Runnable::run);

    Watchdog watchdog(java.util.concurrent.Executor starter) {
        return new Watchdog(List.of(jbd2, ext4), new FakeProcesses(), () -> nanos,
                () -> Instant.ofEpochMilli(1_796_600_000_000L + nanos / 1_000_000),
                new PrintStream(log, true, StandardCharsets.UTF_8), starter);
    }

    void advance(Duration d) {
        nanos += d.toNanos();
    }

    @Test
    void aDeadProcessIsStartedAgainAfterTheBackOffAndItsRecoveryTimeKept() {
        watchdog.tick();
        assertThat(starts).isEmpty();
        running.remove(jbd2); // SIGKILL: the pid file stays
        watchdog.tick();
        assertThat(starts).as("not before the back-off").isEmpty();
        advance(Duration.ofMillis(900));
        watchdog.tick();
        assertThat(starts).isEmpty();
        advance(Duration.ofMillis(100));
        watchdog.tick();
        assertThat(starts).containsExactly("jbd2-service@2000ms");
        Watchdog.Record r = watchdog.records().get(jbd2);
        assertThat(r.restarts()).isEqualTo(1);
        assertThat(r.lastRecoveryMillis()).as("seen dead to healthy: the back-off and the start").isEqualTo(4000);
        assertThat(watchdog.records().get(ext4).restarts()).isZero();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("jbd2-service is dead; starting it again in 1.0 s",
                "jbd2-service serves again 4.0 s after it was seen dead");
    }

    @Test
    void aStartStillWaitingForHealthDoesNotHoldBackTheStartOfAnother() {
        List<Runnable> pending = new ArrayList<>();
        startTakes = Duration.ZERO;
        Watchdog async = watchdog(pending::add);
        running.clear(); // a power cut took both
        async.tick();
        advance(Duration.ofSeconds(1));
        async.tick();
        assertThat(pending).as("ext4-service's start waits (for jbd2); jbd2-service's is under way beside it").hasSize(2);
        async.tick();
        assertThat(pending).as("nothing is started twice").hasSize(2);
        pending.forEach(Runnable::run);
        assertThat(starts).containsExactlyInAnyOrder("jbd2-service@2000ms", "ext4-service@2000ms");
        assertThat(async.records().get(ext4).restarts()).isEqualTo(1);
        assertThat(async.records().get(ext4).lastRecoveryMillis()).isEqualTo(1000);
    }

    @Test
    void theDeviceDyingIsAPowerCutThatTakesExt4AndJbd2DownAndAllThreeComeBack() {
        Component blockdev = Component.byName("blockdev-service").orElseThrow();
        expected.add(blockdev);
        running.add(blockdev);
        Watchdog machine = new Watchdog(List.of(blockdev, ext4, jbd2), new FakeProcesses(), () -> nanos,
                () -> Instant.ofEpochMilli(1_796_600_000_000L + nanos / 1_000_000),
                new PrintStream(log, true, StandardCharsets.UTF_8), Runnable::run);
        running.remove(blockdev);
        machine.tick();
        assertThat(killed).containsExactly("ext4-service", "jbd2-service");
        advance(Duration.ofSeconds(1));
        startTakes = Duration.ZERO;
        machine.tick();
        assertThat(running).contains(blockdev, ext4, jbd2);
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("blockdev-service is dead: a power cut of the machine,"
                + " which takes ext4-service and jbd2-service down with it");
        running.remove(ext4);
        machine.tick();
        assertThat(killed).as("only the device's death is a power cut").hasSize(2);
    }

    @Test
    void whileHeldNothingIsStartedAgainAndTheDeadAreStartedOnceReleased() {
        held = true;
        running.remove(jbd2);
        watchdog.tick();
        advance(Duration.ofSeconds(30));
        watchdog.tick();
        assertThat(starts).as("a chaos run copies the image of the dead device").isEmpty();
        held = false;
        watchdog.tick();
        assertThat(starts).containsExactly("jbd2-service@31000ms");
    }

    @Test
    void aProcessThatServedIsAlwaysStartedAgainAfterTheFirstDelay() {
        for (int death = 1; death <= 20; death++) {
            running.remove(jbd2); // killed, or died at a crash point, after it had come up
            watchdog.tick();
            advance(Duration.ofSeconds(1));
            watchdog.tick();
            assertThat(starts).hasSize(death);
        }
        assertThat(watchdog.records().get(jbd2).restarts()).isEqualTo(20);
        assertThat(watchdog.records().get(jbd2).gaveUp()).isFalse();
    }

    @Test
    void startsThatDoNotComeUpBackOffAndACrashLoopIsLeftDown() {
        startWorks = false;
        running.remove(jbd2);
        watchdog.tick();
        List<Long> delays = new ArrayList<>();
        long seen = nanos;
        while (starts.size() < RestartPolicy.LIMIT) {
            int before = starts.size();
            advance(Duration.ofMillis(100));
            watchdog.tick();
            if (starts.size() > before) {
                delays.add((nanos - seen - startTakes.toNanos()) / 1_000_000);
                seen = nanos;
            }
        }
        assertThat(delays).containsExactly(1000L, 2000L, 4000L, 8000L, 16000L);
        for (int i = 0; i < 1000; i++) {
            advance(Duration.ofMillis(100));
            watchdog.tick();
        }
        assertThat(starts).as("five starts in a row that did not come up: a crash loop").hasSize(RestartPolicy.LIMIT);
        assertThat(watchdog.records().get(jbd2).gaveUp()).isTrue();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("did not come up 5 times in a row: a crash loop",
                "./ext4sim start jbd2-service");

        startWorks = true;
        running.add(jbd2); // ./ext4sim start
        watchdog.tick();
        assertThat(watchdog.records().get(jbd2).gaveUp()).isFalse();
        running.remove(jbd2);
        watchdog.tick();
        advance(Duration.ofSeconds(1));
        watchdog.tick();
        assertThat(starts).as("watched afresh after a start by hand").hasSize(RestartPolicy.LIMIT + 1);
    }

    @Test
    void aProcessStoppedOnPurposeIsLeftAlone() {
        running.remove(ext4);
        expected.remove(ext4); // ./ext4sim down or a clean stop removes the pid file
        for (int i = 0; i < 100; i++) {
            advance(Duration.ofMillis(100));
            watchdog.tick();
        }
        assertThat(starts).isEmpty();
    }

    @Test
    void aStartThatFailsIsTriedAgainLater() {
        startWorks = false;
        running.remove(jbd2);
        watchdog.tick();
        advance(Duration.ofSeconds(1));
        watchdog.tick();
        assertThat(starts).hasSize(1);
        startWorks = true;
        advance(Duration.ofMillis(1900));
        watchdog.tick();
        assertThat(starts).as("the second back-off, 2 s").hasSize(1);
        advance(Duration.ofMillis(100));
        watchdog.tick();
        assertThat(starts).hasSize(2);
        assertThat(watchdog.records().get(jbd2).restarts()).isEqualTo(1);
    }
}
