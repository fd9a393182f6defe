package dev.ext4sim.jbd2;

import static dev.ext4sim.jbd2.testing.JournalFixture.block;
import static dev.ext4sim.jbd2.testing.JournalFixture.home;
import static dev.ext4sim.jbd2.testing.JournalFixture.task;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.jbd2.journal.Handle;
import dev.ext4sim.jbd2.journal.Journal;
import dev.ext4sim.jbd2.journal.JournalConfig;
import dev.ext4sim.jbd2.journal.OrderedData;
import dev.ext4sim.jbd2.journal.RunStats;
import dev.ext4sim.jbd2.remote.JournalHost;
import dev.ext4sim.jbd2.testing.JournalFixture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The names Prometheus sees, each commit's phases converted from jiffies (HZ 250) to seconds, and the gauges of the
 * loaded journal and of the last recovery over a journal host on a manual clock.
 */
@Timeout(60) // a commit that never completes fails instead of hanging the build
class Jbd2MetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicReference<JournalHost> host = new AtomicReference<>();
    private final Jbd2Metrics metrics = new Jbd2Metrics(registry, JournalConfig.defaults(), host::get);
    private final List<JournalHost> hosts = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        hosts.forEach(JournalHost::close);
    }

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

    @Test
    void theLoadedJournalsLengthAndTheLastRecoveryAreGauges() {
        assertThat(registry.scrape().lines()).contains("jbd2_journal_blocks{dev=\"sda1-8\"} NaN",
                "jbd2_journal_max_transaction_blocks{dev=\"sda1-8\"} NaN",
                "jbd2_journal_recovery_timestamp_seconds{dev=\"sda1-8\"} 0.0",
                "jbd2_journal_recovered_transactions{dev=\"sda1-8\"} 0.0");

        JournalFixture f = new JournalFixture();
        JournalHost a = start(f);
        a.load("sda1", task("mount", 1));
        // mke2fs gives a 16384-block filesystem a 1024-block journal; transactions get a quarter of its
        // 1023 log blocks after the superblock
        assertThat(registry.scrape().lines()).contains("jbd2_journal_blocks{dev=\"sda1-8\"} 1024.0",
                "jbd2_journal_max_transaction_blocks{dev=\"sda1-8\"} 255.0",
                "jbd2_journal_recovery_timestamp_seconds{dev=\"sda1-8\"} 0.0");

        Journal j = a.current().orElseThrow().journal();
        Handle h = j.jbd2_journal_start(task("writer", 7), 1, 1, 1);
        j.jbd2_journal_get_write_access(h, home(0));
        j.jbd2_journal_dirty_metadata(h, home(0), block(0x11));
        j.jbd2_journal_stop(h);
        j.jbd2_complete_transaction(h.tid(), task("writer", 7));
        // the process dies with the transaction committed, not checkpointed; its successor loads 1 s later
        f.clock.advance(Duration.ofSeconds(1));
        start(f).load("sda1", task("mount", 1));

        assertThat(registry.scrape().lines()).contains("jbd2_journal_recovered_transactions{dev=\"sda1-8\"} 1.0");
        assertThat(value("jbd2_journal_recovery_timestamp_seconds{dev=\"sda1-8\"}"))
                .isEqualTo(ManualClock.DEFAULT_WALL_START.plusSeconds(1).toEpochMilli() / 1000.0);
    }

    private JournalHost start(JournalFixture f) {
        JournalConfig config = JournalConfig.defaults().withBatchTime(Duration.ZERO, Duration.ZERO);
        JournalHost h = new JournalHost(new JournalHost.Settings("sda1", config, Duration.ofSeconds(3)), f.clock, f.clock,
                new Tracer("jbd2-service", f.clock.traceClock(), f.sink, 2), f.port, OrderedData.NONE, metrics,
                x -> { }, x -> { });
        hosts.add(h);
        host.set(h);
        return h;
    }

    private double value(String sample) {
        String line = registry.scrape().lines().filter(l -> l.startsWith(sample + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no sample " + sample + " in\n" + registry.scrape()));
        return Double.parseDouble(line.substring(sample.length() + 1));
    }
}
