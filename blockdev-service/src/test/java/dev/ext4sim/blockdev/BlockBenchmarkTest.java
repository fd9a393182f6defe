package dev.ext4sim.blockdev;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.blockdev.block.BlkMq;
import dev.ext4sim.blockdev.block.Bio;
import dev.ext4sim.blockdev.block.ReqOp;
import dev.ext4sim.blockdev.ufs.Profile;
import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceClock;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceSink;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * The block-level benchmark, bypassing the filesystem and the bus: fio-like 4 KiB random writes at queue depth 32
 * and 1 MiB sequential writes at queue depth 8 through the block layer and the device model, in real time, with
 * tracing off. It prints IOPS and MB/s next to the profile's published figures; it asserts only that I/O completed,
 * never a rate (the machine may be busy).
 */
class BlockBenchmarkTest {
    static final Duration WARMUP = Duration.ofMillis(700);
    static final Duration RUN = Duration.ofMillis(1500);

    record Result(double iops, double mbps) {
    }

    @Test
    void randomAndSequentialWritesPerProfile() throws Exception {
        StringBuilder report = new StringBuilder("\nblock benchmark (tracing off, in-memory backing, MB = 10^6 bytes)\n");
        report.append(String.format("%-8s %26s %26s%n", "profile", "4K randwrite QD32 IOPS", "1M seqwrite QD8 MB/s"));
        run("ufs4.0", 4096, 32, true); // warm the JIT up; not reported
        run("ufs4.0", 1 << 20, 8, false);
        run("ufs2.1", 4096, 32, true);
        for (String name : List.of("ufs2.1", "ufs3.1", "ufs4.0")) {
            Profile p = Profile.named(name);
            Result rand = run(name, 4096, 32, true);
            Result seq = run(name, 1 << 20, 8, false);
            report.append(String.format("%-8s %10.0f vs %6.0f (%+5.1f%%) %9.0f vs %6.0f (%+5.1f%%)%n", name,
                    rand.iops(), p.randWriteIops(), 100 * (rand.iops() / p.randWriteIops() - 1),
                    seq.mbps(), p.seqWriteMBps(), 100 * (seq.mbps() / p.seqWriteMBps() - 1)));
            assertThat(rand.iops()).isPositive();
            assertThat(seq.mbps()).isPositive();
        }
        System.out.println(report);
    }

    static Result run(String profile, int bs, int qd, boolean random) throws Exception {
        int blocks = 262_144; // 1 GiB of 4 KiB blocks
        Trace trace = new Trace(new Tracer("blockdev-service", TraceClock.since(0), TraceSink.NONE, 2), false);
        Blockdev dev = new Blockdev(new Blockdev.Config(profile, 0, Duration.ofHours(1), Duration.ZERO, false, 2L << 30,
                Duration.ofNanos(80_000)),
                new MemoryBlockDevice(4096, blocks), "memory", Time.SYSTEM, Scheduler.system("bench-completions"),
                nanos -> { }, new Random(1), Runnable::run, Executors.newVirtualThreadPerTaskExecutor(), trace);
        dev.probe("bench");
        BlkMq q = dev.queue();
        LongAdder ios = new LongAdder();
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        byte[] payload = new byte[bs];
        ThreadLocalRandom.current().nextBytes(payload);
        long span = (long) blocks * 8 / (bs / 512);
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < qd; w++) {
            int id = w;
            workers.add(Thread.ofVirtual().start(() -> {
                TraceContext ctx = new TraceContext("bench", new Task("fio", 1000 + id));
                long next = id * (span / qd);
                while (!stop.get()) {
                    long slot = random ? ThreadLocalRandom.current().nextLong(span) : next++ % span;
                    q.submit("sda", List.of(new Bio(ReqOp.WRITE, Set.of(), slot * (bs / 512), bs, payload)), ctx);
                    if (measuring.get()) {
                        ios.increment();
                    }
                }
            }));
        }
        Thread.sleep(WARMUP); // a benchmark's warm-up period, not synchronisation
        measuring.set(true);
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        Thread.sleep(RUN);
        long n = ios.sum();
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        stop.set(true);
        for (Thread t : workers) {
            t.join(Duration.ofSeconds(10));
        }
        double iops = n / secs;
        var st = q.stats();
        System.out.printf("%s bs=%d: avg issue-to-complete %.1f us over %d writes; %.2f cpu-seconds per second, %.1f us cpu per I/O%n",
                profile, bs, st.writeTimeNanos.sum() / 1e3 / Math.max(1, st.writesCompleted.sum()), st.writesCompleted.sum(),
                cpu / secs, cpu * 1e6 / Math.max(1, n));
        return new Result(iops, iops * bs / 1e6);
    }
}
