package dev.ext4sim.blockdev;

import dev.ext4sim.blockdev.block.BlkMq;
import dev.ext4sim.blockdev.block.DiskStats;
import dev.ext4sim.blockdev.block.Gendisk;
import dev.ext4sim.blockdev.block.ReqOp;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/**
 * The disk's counters under node_exporter's names (node_disk_reads_completed_total, node_disk_written_bytes_total,
 * node_disk_io_time_seconds_total, node_disk_io_time_weighted_seconds_total, ...; device="sda"), node_disk_info with
 * the device profile as its model, the FUA writes (blockdev_fua_writes_total), and a latency histogram per operation
 * (blockdev_request_latency_seconds{op="read|write|flush"}). Read from {@link DiskStats} once the probe made the disk.
 */
final class DiskMetrics implements MeterBinder {
    private final Blockdev blockdev;

    DiskMetrics(Blockdev blockdev) {
        this.blockdev = blockdev;
    }

    private DiskStats stats() {
        BlkMq q = blockdev.queue();
        return q == null ? null : q.stats();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Tags device = Tags.of("device", "sda");
        counter(registry, "node.disk.reads.completed", "The total number of reads completed successfully.", device, s -> s.readsCompleted);
        counter(registry, "node.disk.reads.merged", "The total number of reads merged.", device, s -> s.readsMerged);
        bytes(registry, "node.disk.read.bytes", "The total number of bytes read successfully.", device, s -> s.sectorsRead);
        seconds(registry, "node.disk.read.time.seconds", "The total number of seconds spent by all reads.", device, s -> s.readTimeNanos);
        counter(registry, "node.disk.writes.completed", "The total number of writes completed successfully.", device, s -> s.writesCompleted);
        counter(registry, "node.disk.writes.merged", "The number of writes merged.", device, s -> s.writesMerged);
        bytes(registry, "node.disk.written.bytes", "The total number of bytes written successfully.", device, s -> s.sectorsWritten);
        seconds(registry, "node.disk.write.time.seconds", "This is the total number of seconds spent by all writes.", device, s -> s.writeTimeNanos);
        counter(registry, "node.disk.flush.requests", "The total number of flush requests completed successfully.", device, s -> s.flushesCompleted);
        seconds(registry, "node.disk.flush.requests.time.seconds", "This is the total number of seconds spent by all flush requests.", device, s -> s.flushTimeNanos);
        counter(registry, "blockdev.fua.writes", "Writes with REQ_FUA completed (each also counts in node_disk_writes_completed_total).",
                device, s -> s.fuaWritesCompleted);
        counter(registry, "blockdev.io.errors", "Requests that completed with an error.", device, s -> s.errors);
        Gauge.builder("node.disk.io.now", this, m -> m.stats() == null ? 0 : m.stats().inFlight())
                .description("The number of I/Os currently in progress.").tags(device).register(registry);
        FunctionCounter.builder("node.disk.io.time.seconds", this,
                        m -> m.blockdev.queue() == null ? 0 : m.blockdev.queue().ioTimeNanos() / 1e9)
                .description("Total seconds spent doing I/Os.").tags(device).register(registry);
        FunctionCounter.builder("node.disk.io.time.weighted.seconds", this,
                        m -> m.blockdev.queue() == null ? 0 : m.blockdev.queue().weightedTimeNanos() / 1e9)
                .description("The weighted # of seconds spent doing I/Os.").tags(device).register(registry);
        // the probe names the disk sda, SD_MAJOR 8, first minor 0, as the device tag above assumes
        Gauge.builder("node.disk.info", () -> 1)
                .description("Info of /sys/block/<block_device>.")
                .tags(device.and("major", String.valueOf(Gendisk.SD_MAJOR), "minor", "0",
                        "model", blockdev.device().profile().name()))
                .register(registry);
        Gauge.builder("blockdev.write.cache.dirty.bytes", blockdev, b -> b.device().cache().dirtyBytes())
                .description("Bytes in the device's volatile write cache, lost on a power cut.").tags(device).register(registry);

        Map<ReqOp, Timer> latency = new EnumMap<>(ReqOp.class);
        for (ReqOp op : ReqOp.values()) {
            latency.put(op, Timer.builder("blockdev.request.latency")
                    .description("Time from issue to completion of a request, per operation.")
                    .tags(device.and("op", op.name().toLowerCase(java.util.Locale.ROOT)))
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofNanos(10_000))
                    .maximumExpectedValue(Duration.ofSeconds(10))
                    .register(registry));
        }
        Thread.ofVirtual().name("disk-metrics").start(() -> {
            // the queue exists once the probe ran; hook the histogram to it then
            while (blockdev.queue() == null) {
                try {
                    Thread.sleep(100); // polling pace for a condition with no event to wait on
                } catch (InterruptedException e) {
                    return;
                }
            }
            blockdev.queue().setLatencyObserver((op, nanos) -> latency.get(op).record(nanos, TimeUnit.NANOSECONDS));
        });
    }

    private void counter(MeterRegistry r, String name, String help, Tags tags, java.util.function.Function<DiskStats, LongAdder> f) {
        fn(r, name, help, tags, s -> f.apply(s).sum());
    }

    private void bytes(MeterRegistry r, String name, String help, Tags tags, java.util.function.Function<DiskStats, LongAdder> sectors) {
        fn(r, name, help, tags, s -> sectors.apply(s).sum() * 512.0);
    }

    private void seconds(MeterRegistry r, String name, String help, Tags tags, java.util.function.Function<DiskStats, LongAdder> nanos) {
        fn(r, name, help, tags, s -> nanos.apply(s).sum() / 1e9);
    }

    private void fn(MeterRegistry r, String name, String help, Tags tags, ToDoubleFunction<DiskStats> f) {
        FunctionCounter.builder(name, this, m -> m.stats() == null ? 0 : f.applyAsDouble(m.stats()))
                .description(help).tags(tags).register(r);
    }
}
