package dev.ext4sim.blockdev;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.blockdev.block.BlkMq;
import dev.ext4sim.blockdev.block.Bio;
import dev.ext4sim.blockdev.block.ReqFlag;
import dev.ext4sim.blockdev.block.ReqOp;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The names Prometheus sees for the disk, and values that follow from requests on a manual clock. */
class DiskMetricsTest {
    final ManualClock clock = new ManualClock();
    final Blockdev dev = new Blockdev(Blockdev.Config.of("ufs3.1", Duration.ofSeconds(5), Duration.ofMillis(100)),
            new MemoryBlockDevice(4096, 16384), "memory", clock, clock, n -> clock.advance(Duration.ofNanos(n)),
            new Random(7), Runnable::run, Runnable::run,
            new Trace(new Tracer("blockdev-service", clock.traceClock(), new RecordingTraceSink(), 2), false));
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final TraceContext ctx = new TraceContext("t1", new Task("test", 42));

    DiskMetricsTest() {
        dev.probe("boot");
        new DiskMetrics(dev).bindTo(registry);
    }

    static Bio write(long sector, ReqFlag... flags) {
        Set<ReqFlag> f = flags.length == 0 ? Set.of() : EnumSet.copyOf(List.of(flags));
        return new Bio(ReqOp.WRITE, f, sector, 4096, new byte[4096]);
    }

    <T> T await(CompletableFuture<T> f) {
        for (int i = 0; i < 10_000 && !f.isDone(); i++) {
            clock.advance(Duration.ofNanos(100_000));
        }
        assertThat(f).isDone();
        return f.join();
    }

    /** The value of the sample named exactly {@code sample} (name and labels) in the scrape. */
    double value(String sample) {
        String line = registry.scrape().lines().filter(l -> l.startsWith(sample + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no sample " + sample + " in\n" + registry.scrape()));
        return Double.parseDouble(line.substring(sample.length() + 1).trim());
    }

    @Test
    void theWeightedTimeSumsEveryRequestsTimeWhileTheBusyTimeCountsOverlapOnce() {
        CompletableFuture<BlkMq.Completed> a = dev.queue().submitAsync("sda1", List.of(write(8)), ctx);
        CompletableFuture<BlkMq.Completed> b = dev.queue().submitAsync("sda1", List.of(write(16)), ctx);
        clock.advance(Duration.ofNanos(100_000));
        // both in flight for 100 µs: they count up to now, before either completes
        assertThat(value("node_disk_io_time_weighted_seconds_total{device=\"sda\"}")).isEqualTo(200_000 / 1e9);
        assertThat(value("node_disk_io_time_seconds_total{device=\"sda\"}")).isEqualTo(100_000 / 1e9);

        long la = await(a).latencyNanos()[0];
        long lb = await(b).latencyNanos()[0];
        assertThat(la).isGreaterThan(100_000);
        assertThat(value("node_disk_io_time_weighted_seconds_total{device=\"sda\"}")).isEqualTo((la + lb) / 1e9);
        assertThat(value("node_disk_write_time_seconds_total{device=\"sda\"}")).isEqualTo((la + lb) / 1e9);
        assertThat(value("node_disk_io_time_seconds_total{device=\"sda\"}")).isEqualTo(Math.max(la, lb) / 1e9);
        clock.advance(Duration.ofMillis(5));
        assertThat(value("node_disk_io_time_weighted_seconds_total{device=\"sda\"}")).as("idle: no growth")
                .isEqualTo((la + lb) / 1e9);
    }

    @Test
    void fuaWritesAreCountedAmongTheWritesAndAPreflushIsAFlushNotAFuaWrite() {
        // a jbd2 commit: journal block, then the commit block with PREFLUSH|FUA (a flush, then a FUA write)
        await(dev.queue().submitAsync("sda1", List.of(write(8), write(16, ReqFlag.PREFLUSH, ReqFlag.FUA)), ctx));
        await(dev.queue().submitAsync("sda1", List.of(write(24, ReqFlag.FUA)), ctx));
        await(dev.queue().submitAsync("sda1", List.of(new Bio(ReqOp.WRITE, Set.of(ReqFlag.PREFLUSH), 0, 0, new byte[0])), ctx));

        assertThat(registry.scrape().lines()).contains("blockdev_fua_writes_total{device=\"sda\"} 2.0",
                "node_disk_writes_completed_total{device=\"sda\"} 3.0", "node_disk_flush_requests_total{device=\"sda\"} 2.0");
    }

    @Test
    void theInfoMetricNamesTheDeviceAndItsProfile() {
        assertThat(registry.scrape().lines())
                .contains("node_disk_info{device=\"sda\",major=\"8\",minor=\"0\",model=\"ufs3.1\"} 1");
    }
}
