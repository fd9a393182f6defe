package dev.ext4sim.ext4.remote;

import dev.ext4sim.ext4.fs.Ext4Mount;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * ext4's metrics (dev="sda1"): write_iter and fsync latency as seen inside ext4 (ext4dist's write and fsync
 * operations), dirty pages, delayed-allocation reservations, free blocks and the blocks mballoc allocated, and the
 * journal pump's queue and batches.
 */
public final class Ext4Metrics {
    private final Timer writeIter;
    private final Timer fsync;
    // FunctionCounter holds its object weakly: the counters read through these fields of this bean
    private final Supplier<Ext4Mount> mount;
    private final Supplier<JournalPump> pump;

    public Ext4Metrics(MeterRegistry registry, String dev, Supplier<Ext4Mount> mount, Supplier<JournalPump> pump) {
        this.mount = mount;
        this.pump = pump;
        writeIter = Timer.builder("ext4.write_iter").description("ext4_file_write_iter latency inside ext4-service")
                .tag("dev", dev).publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        fsync = Timer.builder("ext4.fsync").description("ext4_sync_file latency (data, commit, flush)")
                .tag("dev", dev).publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
        gauge(registry, "ext4.dirty_pages", "NR_FILE_DIRTY of the filesystem", dev, mount, Ext4Mount::dirtyPages);
        gauge(registry, "ext4.delalloc_reserved_blocks", "blocks reserved by delayed allocation", dev, mount,
                Ext4Mount::delallocReservedBlocks);
        gauge(registry, "ext4.free_blocks", "free blocks", dev, mount, Ext4Mount::freeBlocks);
        gauge(registry, "ext4.journal_queue_handles", "handles queued for jbd2", dev, pump, JournalPump::queued);
        // 0 before the mount rather than NaN, as a counter starts; the mount and the pump last as long as the process,
        // so a count never drops back to 0 on its own
        FunctionCounter.builder("ext4.mballoc.allocated_blocks", this, m -> count(m.mount, Ext4Mount::blocksAllocated))
                .description("blocks mballoc allocated since the mount (mb_stats' blocks allocated)").tag("dev", dev)
                .register(registry);
        FunctionCounter.builder("ext4.journal_batches", this, m -> count(m.pump, JournalPump::batches))
                .description("RUN_BATCH calls answered").tag("dev", dev).register(registry);
    }

    private static <T> double count(Supplier<T> source, ToDoubleFunction<T> value) {
        T t = source.get();
        return t == null ? 0 : value.applyAsDouble(t);
    }

    private static <T> void gauge(MeterRegistry registry, String name, String help, String dev, Supplier<T> source,
                                  ToDoubleFunction<T> value) {
        Gauge.builder(name, () -> {
            T t = source.get();
            return t == null ? Double.NaN : value.applyAsDouble(t);
        }).description(help).tag("dev", dev).register(registry);
    }

    void writeIter(long nanos) {
        writeIter.record(nanos, TimeUnit.NANOSECONDS);
    }

    void fsync(long nanos) {
        fsync.record(nanos, TimeUnit.NANOSECONDS);
    }
}
