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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The block-level benchmark, bypassing the filesystem and the bus: fio-like 4 KiB random writes at queue depth 32
 * and 1 MiB sequential writes at queue depth 8 through the block layer and the device model, in real time, with
 * tracing off. Each case runs three times, the rounds interleaved, and reports its best run next to the profile's
 * published figures: a burst of load from another process lowers one run, not the figure. It asserts only that I/O
 * completed, never a rate (the machine may be busy).
 */
class BlockBenchmarkTest {
    static final Duration WARMUP = Duration.ofMillis(400);
    static final Duration RUN = Duration.ofMillis(1000);
    static final int ROUNDS = 3;
    static final List<String> PROFILES = List.of("ufs2.1", "ufs3.1", "ufs4.0");
    /** The completion interrupts' timer thread, one for all runs as the service has one. */
    static final Scheduler IRQ_TIMER = Scheduler.system("bench-completions");

    record Result(double iops, double mbps, double cpuMicrosPerIo) {
    }

    @Test
    void randomAndSequentialWritesPerProfile() throws Exception {
        run("ufs4.0", 4096, 32, true); // warm the JIT up; not reported
        run("ufs4.0", 1 << 20, 8, false);
        run("ufs2.1", 4096, 32, true);
        Map<String, List<Result>> rand = new LinkedHashMap<>();
        Map<String, List<Result>> seq = new LinkedHashMap<>();
        for (int round = 0; round < ROUNDS; round++) {
            for (String name : PROFILES) {
                rand.computeIfAbsent(name, n -> new ArrayList<>()).add(run(name, 4096, 32, true));
                seq.computeIfAbsent(name, n -> new ArrayList<>()).add(run(name, 1 << 20, 8, false));
            }
        }
        StringBuilder report = new StringBuilder("\nblock benchmark (tracing off, in-memory backing, MB = 10^6 bytes;"
                + " best of " + ROUNDS + " runs of " + RUN.toMillis() + " ms, all runs in brackets)\n");
        report.append(String.format("%-8s %-50s %-44s%n", "profile", "4K randwrite QD32 IOPS", "1M seqwrite QD8 MB/s"));
        for (String name : PROFILES) {
            Profile p = Profile.named(name);
            double iops = best(rand.get(name), Result::iops);
            double mbps = best(seq.get(name), Result::mbps);
            report.append(String.format("%-8s %-50s %-44s%n", name,
                    String.format("%.0f vs %.0f (%+5.1f%%) [%s]", iops, p.randWriteIops(),
                            100 * (iops / p.randWriteIops() - 1), all(rand.get(name), Result::iops)),
                    String.format("%.0f vs %.0f (%+5.1f%%) [%s]", mbps, p.seqWriteMBps(),
                            100 * (mbps / p.seqWriteMBps() - 1), all(seq.get(name), Result::mbps))));
            assertThat(iops).isPositive();
            assertThat(mbps).isPositive();
        }
        report.append(String.format("host cpu per I/O, median of the runs: 4K %s us; 1M %s us%n",
                PROFILES.stream().map(n -> String.format("%s %.1f", n, median(rand.get(n)))).collect(Collectors.joining(", ")),
                PROFILES.stream().map(n -> String.format("%s %.0f", n, median(seq.get(n)))).collect(Collectors.joining(", "))));
        System.out.println(report);
    }

    private static double best(List<Result> runs, ToDoubleFunction<Result> figure) {
        return runs.stream().mapToDouble(figure).max().orElseThrow();
    }

    private static String all(List<Result> runs, ToDoubleFunction<Result> figure) {
        return runs.stream().map(r -> String.format("%.0f", figure.applyAsDouble(r))).collect(Collectors.joining(" "));
    }

    private static double median(List<Result> runs) {
        double[] cpu = runs.stream().mapToDouble(Result::cpuMicrosPerIo).sorted().toArray();
        return cpu[cpu.length / 2];
    }

    static Result run(String profile, int bs, int qd, boolean random) throws Exception {
        int blocks = 262_144; // 1 GiB of 4 KiB blocks
        Trace trace = new Trace(new Tracer("blockdev-service", TraceClock.since(0), TraceSink.NONE, 2), false);
        var background = Executors.newVirtualThreadPerTaskExecutor();
        Blockdev dev = new Blockdev(new Blockdev.Config(profile, 0, Duration.ofHours(1), Duration.ZERO, false, 2L << 30,
                Duration.ofNanos(80_000)),
                new MemoryBlockDevice(4096, blocks), "memory", Time.SYSTEM, IRQ_TIMER,
                nanos -> { }, new Random(1), Runnable::run, background, trace);
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
        background.close();
        double iops = n / secs;
        var st = q.stats();
        System.out.printf("%s bs=%d: avg issue-to-complete %.1f us over %d writes; %.2f cpu-seconds per second, %.1f us cpu per I/O%n",
                profile, bs, st.writeTimeNanos.sum() / 1e3 / Math.max(1, st.writesCompleted.sum()), st.writesCompleted.sum(),
                cpu / secs, cpu * 1e6 / Math.max(1, n));
        return new Result(iops, iops * bs / 1e6, cpu * 1e6 / Math.max(1, n));
    }
}
