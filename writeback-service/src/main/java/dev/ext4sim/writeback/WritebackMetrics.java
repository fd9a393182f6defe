package dev.ext4sim.writeback;

import dev.ext4sim.writeback.wb.BdiWriteback;
import dev.ext4sim.writeback.wb.WbReason;
import dev.ext4sim.writeback.wb.Writeback;
import dev.ext4sim.writeback.wb.WritebackStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Writeback's Prometheus metrics. The page counts carry /proc/vmstat's names as node_exporter's vmstat collector
 * exports them: {@code node_vmstat_nr_dirty}, {@code node_vmstat_nr_writeback}, {@code node_vmstat_nr_dirty_threshold},
 * {@code node_vmstat_nr_dirty_background_threshold} (gauges, pages) and {@code node_vmstat_nr_dirtied_total},
 * {@code node_vmstat_nr_written_total} (counters, pages; rate() gives pages per second). The flusher's own:
 * {@code writeback_works_total{reason}} (wb_writeback passes by wb_reason),
 * {@code writeback_pages_written_total{reason}},
 * {@code writeback_dirty_limit} (global_wb_domain.dirty_limit, pages), {@code writeback_dirty_inodes} (on b_dirty,
 * b_io and b_more_io) and the writer throttle {@code writeback_balance_dirty_pages_pause_seconds} (histogram of
 * the non-zero pauses).
 */
final class WritebackMetrics implements WritebackStats {
    private final Map<WbReason, Counter> works = new EnumMap<>(WbReason.class);
    private final Map<WbReason, Counter> pages = new EnumMap<>(WbReason.class);
    private final Timer pause;
    /** Held here: Micrometer keeps only a weak reference to a gauge's object, and this object lives as a bean. */
    private final Supplier<Writeback> writeback;

    /** @param writeback read lazily: the core is built with these metrics as its stats */
    WritebackMetrics(MeterRegistry registry, Supplier<Writeback> writeback) {
        this.writeback = writeback;
        for (WbReason r : WbReason.values()) {
            works.put(r, Counter.builder("writeback.works").description("wb_writeback passes, by wb_reason")
                    .tag("reason", r.symbol()).register(registry));
            pages.put(r, Counter.builder("writeback.pages.written").description("Pages the flusher wrote, by wb_reason")
                    .tag("reason", r.symbol()).register(registry));
        }
        gauge(registry, "node.vmstat.nr_dirty", "Dirty page cache pages (NR_FILE_DIRTY)",
                w -> w.vmstat().nr_file_dirty());
        gauge(registry, "node.vmstat.nr_writeback", "Pages under writeback (NR_WRITEBACK)",
                w -> w.vmstat().nr_writeback());
        gauge(registry, "node.vmstat.nr_dirty_threshold", "Dirty pages at which writers are throttled hardest",
                w -> w.pageWriteback().domain_dirty_limits(null).thresh());
        gauge(registry, "node.vmstat.nr_dirty_background_threshold", "Dirty pages above which the flusher writes"
                + " in the background", w -> w.pageWriteback().domain_dirty_limits(null).bgThresh());
        gauge(registry, "writeback.dirty_limit", "global_wb_domain dirty_limit in pages, following the threshold",
                w -> w.pageWriteback().dirty_limit());
        gauge(registry, "writeback.dirty_inodes", "Inodes on the b_dirty, b_io and b_more_io lists",
                WritebackMetrics::dirtyInodes);
        FunctionCounter.builder("node.vmstat.nr_dirtied", this, m -> m.read(w -> w.vmstat().nr_dirtied()))
                .description("Pages dirtied since start (NR_DIRTIED)").register(registry);
        FunctionCounter.builder("node.vmstat.nr_written", this, m -> m.read(w -> w.vmstat().nr_written()))
                .description("Pages written back since start (NR_WRITTEN)").register(registry);
        pause = Timer.builder("writeback.balance_dirty_pages.pause")
                .description("Pauses balance_dirty_pages imposed on writers over the freerun ceiling")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMillis(200)).register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String help, ToDoubleFunction<Writeback> f) {
        Gauge.builder(name, this, m -> m.read(f)).description(help).register(registry);
    }

    private double read(ToDoubleFunction<Writeback> f) {
        Writeback w = writeback.get();
        return w == null ? Double.NaN : f.applyAsDouble(w);
    }

    private static double dirtyInodes(Writeback w) {
        long n = 0;
        for (BdiWriteback wb : w.bdis()) {
            BdiWriteback.Lists l = wb.lists();
            n += l.bDirty().size() + l.bIo().size() + l.bMoreIo().size();
        }
        return n;
    }

    @Override
    public void wb_writeback(WbReason reason, long pagesWritten) {
        works.get(reason).increment();
        if (pagesWritten > 0) {
            pages.get(reason).increment(pagesWritten);
        }
    }

    void pause(Duration d) {
        pause.record(d);
    }
}
