package dev.ext4sim.ext4.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.call.Topics;
import dev.ext4sim.bus.ext4.Ext4Calls;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.testing.InMemoryTransport;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ext4.fs.Ext4Mount;
import dev.ext4sim.ext4.port.WritebackPort;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import dev.ext4sim.ondisk.ext4.Mkfs;
import dev.ext4sim.ondisk.ext4.MkfsOptions;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The names Prometheus sees for ext4, over the calls served on a mounted core whose journal is a fake jbd2. */
@Timeout(60) // a call that never returns fails instead of hanging the build
class Ext4MetricsTest {
    static final TraceContext DEMO = new TraceContext("00000000000000cc", new Task("demo", 1234));
    static final Duration T = Duration.ofSeconds(30);

    final ManualClock clock = new ManualClock();
    final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    final FakeJbd2 jbd2 = new FakeJbd2();
    final AtomicReference<Ext4Mount> mounted = new AtomicReference<>();
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final CallClient vfs;
    final JournalPump pump;
    final Ext4Metrics metrics;
    final MemoryBlockDevice dev = new MemoryBlockDevice(4096, (64 << 20) / 4096);

    Ext4MetricsTest() {
        InMemoryTransport transport = new InMemoryTransport();
        CallServer jbd2Server = new CallServer(Jbd2Calls.SERVICE, transport, clock, handlers);
        jbd2.register(jbd2Server);
        CallClient ext4Client = new CallClient(Topics.replies("ext4-service"), transport, clock, clock,
                s -> Optional.of(true), Runnable::run);
        vfs = new CallClient(Topics.replies("vfs-service"), transport, clock, clock, s -> Optional.of(true), Runnable::run);
        pump = new JournalPump(ext4Client, new JournalPump.Settings("sda1", "m", T, Duration.ofMillis(10), 64), clock::nanoTime);
        metrics = new Ext4Metrics(registry, "sda1", mounted::get, () -> pump);
        CallServer ext4Server = new CallServer(Ext4Calls.SERVICE, transport, clock, handlers);
        new Ext4Server("sda1", mounted::get, pump, metrics).register(ext4Server);
        transport.routeCalls(Jbd2Calls.SERVICE, jbd2Server).routeCalls(Ext4Calls.SERVICE, ext4Server)
                .routeReplies("ext4-service", ext4Client).routeReplies("vfs-service", vfs);
        Mkfs.format(dev, MkfsOptions.defaults().withSize(64L << 20));
    }

    @AfterEach
    void tearDown() {
        pump.close();
        handlers.shutdownNow();
    }

    int served() {
        synchronized (jbd2) {
            return jbd2.batches.size();
        }
    }

    <Q, R> R call(CallType<Q, R> type, Q q) {
        return vfs.call(Ext4Calls.SERVICE, type, q, T, DEMO).join();
    }

    @Test
    void mballocsAllocationsAndTheJournalBatchesAreCounters() {
        assertThat(registry.scrape().lines()).as("before the mount").contains(
                "ext4_mballoc_allocated_blocks_total{dev=\"sda1\"} 0.0", "ext4_journal_batches_total{dev=\"sda1\"} 0.0");

        Tracer tracer = new Tracer("ext4-service", clock.traceClock(), new RecordingTraceSink(), 2);
        Ext4Mount m = Ext4Mount.mount(DEMO, new Ext4ServerTest.MemoryBlockPort(dev), pump, WritebackPort.NONE, tracer, clock);
        pump.onCommit(m::journalCommitCallback);
        mounted.set(m);
        long ino = call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "three", 0100644, false)).ino();
        call(Ext4Calls.WRITE_ITER, new Ext4Calls.WriteIter("sda1", ino, 0, false, false, false, new byte[3 * 4096]));
        assertThat(registry.scrape().lines()).as("delayed allocation: reserved, not allocated")
                .contains("ext4_mballoc_allocated_blocks_total{dev=\"sda1\"} 0.0");
        // the fsync writes the three pages back: one run of three blocks, the extent in the inode's own root
        assertThat(call(Ext4Calls.FSYNC, new Ext4Calls.Fsync("sda1", ino, false)).ret()).isZero();

        assertThat(registry.scrape().lines()).contains("ext4_mballoc_allocated_blocks_total{dev=\"sda1\"} 3.0");
        // the pump counts a batch when jbd2's answer is back, a moment after jbd2 served it
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!registry.scrape().lines().toList().contains("ext4_journal_batches_total{dev=\"sda1\"} " + served() + ".0")
                && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(served()).isPositive();
        assertThat(registry.scrape().lines()).contains("ext4_journal_batches_total{dev=\"sda1\"} " + served() + ".0");
    }
}
