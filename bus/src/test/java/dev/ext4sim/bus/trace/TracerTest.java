package dev.ext4sim.bus.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TracerTest {
    static final Tracepoint START_COMMIT = Tracepoint.define("jbd2", "jbd2_start_commit",
            "dev %d,%d transaction %u sync %u", "major", "minor", "transaction", "sync_commit");

    ManualClock clock;
    RecordingTraceSink sink;
    Tracer tracer;

    @BeforeEach
    void setUp() {
        clock = new ManualClock();
        sink = new RecordingTraceSink();
        tracer = new Tracer("jbd2", clock.traceClock(), sink, 8);
    }

    @Test
    void emitStampsClockTaskTraceAndService() {
        clock.advance(Duration.ofNanos(110_004_200_123L));
        TraceContext ctx = new TraceContext("feedbeef", new Task("jbd2/sda1-8", 301));

        TraceEvent e = tracer.emit(START_COMMIT, ctx, 8, 1, 7, 0);

        assertThat(e.timestampNanos()).isEqualTo(110_004_200_123L);
        assertThat(e.comm()).isEqualTo("jbd2/sda1-8");
        assertThat(e.pid()).isEqualTo(301);
        assertThat(e.task()).isEqualTo(new Task("jbd2/sda1-8", 301));
        assertThat(e.traceId()).isEqualTo("feedbeef");
        assertThat(e.service()).isEqualTo("jbd2");
        assertThat(e.system()).isEqualTo("jbd2");
        assertThat(e.event()).isEqualTo("jbd2_start_commit");
        assertThat(e.text()).isEqualTo("dev 8,1 transaction 7 sync 0");
        assertThat(e.fields()).containsOnlyKeys("major", "minor", "transaction", "sync_commit")
                .containsEntry("transaction", 7);
        assertThat(e.cpu()).isBetween(0, 7);
        assertThat(sink.events()).containsExactly(e);
    }

    @Test
    void eachEmitReadsTheClockAgain() {
        TraceContext ctx = new TraceContext("t", new Task("demo", 1234));

        TraceEvent first = tracer.emit(START_COMMIT, ctx, 8, 1, 1, 0);
        clock.advance(Duration.ofMillis(3));
        TraceEvent second = tracer.emit(START_COMMIT, ctx, 8, 1, 2, 0);

        assertThat(second.timestampNanos() - first.timestampNanos()).isEqualTo(3_000_000L);
        assertThat(sink.events()).containsExactly(first, second);
    }

    @Test
    void theSameTaskAlwaysGetsTheSameCpu() {
        Task demo = new Task("demo", 1234);
        Set<Integer> cpus = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            clock.advance(Duration.ofNanos(17_000));
            cpus.add(tracer.emit(START_COMMIT, new TraceContext("t" + i, demo), 8, 1, i, 0).cpu());
        }
        Tracer otherServiceSameCpus = new Tracer("ext4", clock.traceClock(), sink, 8);

        assertThat(cpus).hasSize(1);
        assertThat(otherServiceSameCpus.emit(START_COMMIT, new TraceContext("x", demo), 8, 1, 0, 0).cpu())
                .as("a task keeps its cpu across services").isEqualTo(cpus.iterator().next());
    }

    @Test
    void cpusAreSpreadAndInRange() {
        Set<Integer> cpus = new HashSet<>();
        for (int pid = 1; pid <= 64; pid++) {
            int cpu = tracer.cpuOf(new Task("kworker/u8:" + pid, pid));
            assertThat(cpu).isBetween(0, 7);
            cpus.add(cpu);
        }
        assertThat(cpus).hasSizeGreaterThan(1);
        assertThat(new Tracer("x", () -> 0, e -> { }, 1).cpuOf(new Task("demo", 1234))).isZero();
    }

    @Test
    void atLeastOneCpu() {
        assertThatThrownBy(() -> new Tracer("x", () -> 0, TraceSink.NONE, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void emitAtKeepsTheTimeAnotherServiceObservedTheHit() {
        clock.advance(Duration.ofMillis(5));
        long observed = tracer.now();
        clock.advance(Duration.ofMillis(3));
        TraceEvent e = tracer.emitAt(observed, START_COMMIT, new TraceContext("feedbeef", new Task("demo", 7)), 8, 1, 2, 0);
        assertThat(e.timestampNanos()).isEqualTo(5_000_000L);
        assertThat(sink.events()).containsExactly(e);
    }
}
