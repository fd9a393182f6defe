package dev.ext4sim.jbd2;

import dev.ext4sim.jbd2.journal.CommitListener;
import dev.ext4sim.jbd2.journal.Handle;
import dev.ext4sim.jbd2.journal.Journal;
import dev.ext4sim.jbd2.journal.JournalConfig;
import dev.ext4sim.jbd2.journal.RunStats;
import dev.ext4sim.jbd2.remote.JournalHost;
import dev.ext4sim.jbd2.remote.LoadedJournal;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The journal's Prometheus metrics, named as observability.md §8 asks: one timer per /proc info line
 * ({@code jbd2_commit_wait_seconds}, {@code _request_delay_}, {@code _running_}, {@code _locked_}, {@code _flushing_},
 * {@code _logging_}, and {@code jbd2_commit_total_seconds}, the T_FLUSH → T_COMMIT_CALLBACK time that the average
 * commit time line averages), {@code jbd2_transactions_total{requested}}, distributions of handles, blocks and
 * logged blocks per transaction, {@code jbd2_checkpoints_total}, {@code jbd2_handle_lease_expired_total}, gauges of
 * the loaded journal ({@code jbd2_journal_free_blocks}, {@code jbd2_journal_blocks},
 * {@code jbd2_journal_max_transaction_blocks}; NaN while none is loaded) and of the last recovery
 * ({@code jbd2_journal_recovery_timestamp_seconds}, {@code jbd2_journal_recovered_transactions}). Every histogram
 * publishes its buckets for histogram_quantile. Phase times come from the commit's jiffies, as the kernel measures them.
 */
final class Jbd2Metrics implements CommitListener {
    private final JournalConfig config;
    private final Timer wait;
    private final Timer requestDelay;
    private final Timer running;
    private final Timer locked;
    private final Timer flushing;
    private final Timer logging;
    private final Timer total;
    private final Counter requested;
    private final Counter timed;
    private final DistributionSummary handles;
    private final DistributionSummary blocks;
    private final DistributionSummary blocksLogged;
    private final Counter checkpoints;
    private final Counter leaseExpired;

    Jbd2Metrics(MeterRegistry registry, JournalConfig config, Supplier<JournalHost> host) {
        this.config = config;
        Tags dev = Tags.of("dev", config.devName());
        wait = phase(registry, "wait", "Longest wait of a new handle for this transaction (previous one locked, log space)", dev);
        requestDelay = phase(registry, "request_delay", "Commit requested to the commit thread locking the transaction (requested commits only)", dev);
        running = phase(registry, "running", "Transaction created to locked", dev);
        locked = phase(registry, "locked", "Locked to flushing: waiting for open handles", dev);
        flushing = phase(registry, "flushing", "Flushing data in ordered mode", dev);
        logging = phase(registry, "logging", "Writing the log: descriptors, metadata copies, revoke and commit blocks", dev);
        total = Timer.builder("jbd2.commit.total").description("Commit time, T_FLUSH to T_COMMIT_CALLBACK (average transaction commit time)")
                .tags(dev).publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
        requested = Counter.builder("jbd2.transactions").description("Committed transactions")
                .tags(dev.and("requested", "true")).register(registry);
        timed = Counter.builder("jbd2.transactions").description("Committed transactions")
                .tags(dev.and("requested", "false")).register(registry);
        handles = size(registry, "jbd2.transaction.handles", "Handles per transaction", dev);
        blocks = size(registry, "jbd2.transaction.blocks", "Metadata blocks per transaction", dev);
        blocksLogged = size(registry, "jbd2.transaction.blocks_logged", "Log blocks written per transaction", dev);
        checkpoints = Counter.builder("jbd2.checkpoints").description("Checkpoints that wrote committed metadata home")
                .tags(dev).register(registry);
        leaseExpired = Counter.builder("jbd2.handle.lease_expired")
                .description("Remote handles stopped because their caller left them idle a whole lease").tags(dev).register(registry);
        loaded(registry, "jbd2.journal.free_blocks", "Free log blocks of the loaded journal", dev, host, Journal::freeBlocksNow);
        loaded(registry, "jbd2.journal.blocks", "Length of the loaded journal in blocks (j_total_len, s_maxlen)", dev, host,
                Journal::totalLen);
        loaded(registry, "jbd2.journal.max_transaction_blocks",
                "Most blocks one transaction of the loaded journal may hold (j_max_transaction_buffers)", dev, host,
                Journal::maxTransactionBuffers);
        recovery(registry, "jbd2.journal.recovery.timestamp.seconds",
                "Unix time at which the last recovery this process ran ended; 0 when none ran", dev, host,
                r -> r.endedMillis() / 1000.0);
        recovery(registry, "jbd2.journal.recovered_transactions",
                "Transactions replayed by the last recovery this process ran; 0 when none ran", dev, host,
                JournalHost.Recovered::transactionsReplayed);
    }

    private static void loaded(MeterRegistry registry, String name, String description, Tags tags,
                               Supplier<JournalHost> host, ToDoubleFunction<Journal> value) {
        Gauge.builder(name, host, h -> h.get() == null ? Double.NaN
                        : h.get().current().map(LoadedJournal::journal).map(value::applyAsDouble).orElse(Double.NaN))
                // Micrometer keeps a gauge's object weakly, and nothing else holds this supplier: without a strong
                // reference the first collection turns the gauge into NaN
                .description(description).tags(tags).strongReference(true).register(registry);
    }

    private static void recovery(MeterRegistry registry, String name, String description, Tags tags,
                                 Supplier<JournalHost> host, ToDoubleFunction<JournalHost.Recovered> value) {
        Gauge.builder(name, host, h -> h.get() == null ? 0
                        : h.get().lastRecovery().map(value::applyAsDouble).orElse(0.0))
                // held strongly for the reason given in loaded()
                .description(description).tags(tags).strongReference(true).register(registry);
    }

    private static Timer phase(MeterRegistry registry, String name, String description, Tags tags) {
        return Timer.builder("jbd2.commit." + name).description(description).tags(tags).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
    }

    private static DistributionSummary size(MeterRegistry registry, String name, String description, Tags tags) {
        return DistributionSummary.builder(name).description(description).tags(tags).publishPercentileHistogram()
                .minimumExpectedValue(1.0).maximumExpectedValue(65536.0).register(registry);
    }

    @Override
    public void committed(RunStats s) {
        record(wait, s.waitTime());
        if (s.requested()) {
            record(requestDelay, s.requestDelay());
        }
        record(running, s.running());
        record(locked, s.locked());
        record(flushing, s.flushing());
        record(logging, s.logging());
        total.record(s.commitTimeNanos(), TimeUnit.NANOSECONDS);
        (s.requested() ? requested : timed).increment();
        handles.record(s.handleCount());
        blocks.record(s.blocks());
        blocksLogged.record(s.blocksLogged());
    }

    private void record(Timer t, long jiffies) {
        t.record(config.jiffiesToMsecs(jiffies), TimeUnit.MILLISECONDS);
    }

    @Override
    public void checkpointed(int transactions, int written, boolean forced) {
        checkpoints.increment();
    }

    void leaseExpired(Handle h) {
        leaseExpired.increment();
    }
}
