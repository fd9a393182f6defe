package dev.ext4sim.jbd2;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.jbd2.journal.JournalConfig;
import dev.ext4sim.jbd2.journal.RunStats;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/** The names Prometheus sees, and each commit's phases converted from jiffies (HZ 250) to seconds. */
class Jbd2MetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Jbd2Metrics metrics = new Jbd2Metrics(registry, JournalConfig.defaults(), () -> null);

    @Test
    void aCommitIsRecordedUnderTheProcInfoNames() {
        // running 1250 jiffies = 5 s, logging 2 jiffies = 8 ms, commit time 9 ms; a timer commit, then a requested one
        metrics.committed(new RunStats(2, 0, 0, 1250, 0, 0, 2, 5, 6, 9, false, 9_000_000));
        metrics.committed(new RunStats(3, 1, 3, 10, 0, 1, 2, 1, 1, 3, true, 4_000_000));
        metrics.checkpointed(2, 7, false);
        String text = registry.scrape();

        assertThat(text).contains("jbd2_commit_running_seconds_sum{dev=\"sda1-8\"} 5.04",
                "jbd2_commit_logging_seconds_sum{dev=\"sda1-8\"} 0.016", "jbd2_commit_request_delay_seconds_count{dev=\"sda1-8\"} 1",
                "jbd2_commit_total_seconds_sum{dev=\"sda1-8\"} 0.013", "jbd2_commit_wait_seconds_bucket{dev=\"sda1-8\",le=",
                "jbd2_transactions_total{dev=\"sda1-8\",requested=\"false\"} 1.0",
                "jbd2_transactions_total{dev=\"sda1-8\",requested=\"true\"} 1.0",
                "jbd2_transaction_handles_sum{dev=\"sda1-8\"} 6.0", "jbd2_transaction_blocks_sum{dev=\"sda1-8\"} 7.0",
                "jbd2_transaction_blocks_logged_sum{dev=\"sda1-8\"} 12.0", "jbd2_checkpoints_total{dev=\"sda1-8\"} 1.0",
                "jbd2_journal_free_blocks{dev=\"sda1-8\"} NaN");
        metrics.leaseExpired(null);
        assertThat(registry.scrape()).contains("jbd2_handle_lease_expired_total{dev=\"sda1-8\"} 1.0");
    }
}
