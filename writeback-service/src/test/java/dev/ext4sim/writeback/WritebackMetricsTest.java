package dev.ext4sim.writeback;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.writeback.WritebackCalls;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The names as Prometheus scrapes them, and the values they read from the core. */
class WritebackMetricsTest {
    @Test
    void prometheusNamesAndValues() {
        try (BusHarness h = new BusHarness()) {
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            WritebackMetrics metrics = new WritebackMetrics(registry, () -> h.writeback);
            h.publish(BlockIo.DEVICE_ADDED, "sda", WritebackEndpointsTest.sda(), null);
            h.publish(WritebackCalls.PAGE_COUNTERS, "sda1", new WritebackCalls.PageCounters("sda1", 1, 7, 3), null);
            metrics.wb_writeback(dev.ext4sim.writeback.wb.WbReason.WB_REASON_PERIODIC, 5);
            metrics.pause(Duration.ofMillis(12));

            String text = registry.scrape();
            assertThat(text).contains("node_vmstat_nr_dirty 7.0", "node_vmstat_nr_writeback 3.0",
                    "node_vmstat_nr_dirty_threshold 52416.0", "node_vmstat_nr_dirty_background_threshold 26176.0",
                    "node_vmstat_nr_dirtied_total 10.0", "node_vmstat_nr_written_total 0.0",
                    "writeback_works_total{reason=\"periodic\"} 1.0",
                    "writeback_pages_written_total{reason=\"periodic\"} 5.0",
                    "writeback_dirty_limit 52416.0", "writeback_dirty_inodes 0.0",
                    "writeback_balance_dirty_pages_pause_seconds_count 1");
            assertThat(text).contains("writeback_balance_dirty_pages_pause_seconds_bucket{le=");
        }
    }
}
