package dev.ext4sim.launcher;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmark at the gateway: write() and fsync() latency (p50, p99), buffered 4 KiB writes per second and
 * fsyncs per second with 1 and 64 clients, O_DIRECT 4 KiB writes' latency and rate with 1 and 16 clients, and, in the
 * same run, the bus's bare request/reply round trip (the last
 * hop of a ping, jbd2 → blockdev), so that each latency reads as a multiple of it. Writes overwrite the first 4 KiB
 * of one file per client, so the benchmark takes no space. It prints; it asserts nothing about speed.
 *
 * <p>Every process of the stack is a JVM that compiles its hot paths only after some thousands of calls, and a
 * freshly started stack is several times slower than a warm one (measured here: a bus hop of 8.8 ms falls to 2.2 ms
 * after ~3000 calls). So the benchmark first warms the stack up, as JMH does, and says how much it ran. Round trips
 * are then sampled between the writes and fsyncs they are compared with, under the same load.
 *
 * <p>Each client is one process (X-Comm, X-Pid) on one kept-alive connection ({@link KeepAliveConnection}), so that
 * the numbers are the gateway's and not an HTTP client's; the report counts the connections, which the gateway must
 * keep open for as many calls as a client makes.
 */
final class GatewayBenchmark {
    private static final Pattern LAST_HOP =
            Pattern.compile("\"service\":\"blockdev-service\",\"pid\":\\d+,\"latency_us\":(\\d+)");

    private static final Pattern DEVICE_SECONDS =
            Pattern.compile("(?m)^blockdev_request_latency_seconds_sum\\{[^}]*} (\\S+)$");

    private static final int WARMUP_CLIENTS = 16;
    private static final int MAX_UNTIMED_PASSES = 4;

    private final int port;
    private final int blockdevPort;
    private final AtomicLong callers = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();
    private final long warmupCalls;
    private final Duration warmupAtMost;
    private final Duration each;
    private final Map<String, ProcessHandle> processes;

    /** Warms up until {@code warmupCalls} calls were made, or for {@code warmupAtMost} on a machine too slow for that. */
    GatewayBenchmark(int port, int blockdevPort, long warmupCalls, Duration warmupAtMost, Duration each,
                     Map<String, ProcessHandle> processes) {
        this.processes = Map.copyOf(processes);
        this.port = port;
        this.blockdevPort = blockdevPort;
        this.warmupCalls = warmupCalls;
        this.warmupAtMost = warmupAtMost;
        this.each = each;
    }

    /** The write() and fsync() p50 of one untimed pass, in round trips. */
    record Untimed(double write, double fsync) {
        /**
         * Within a tenth of the pass before, taken as the end of compiling the single client's paths; on a warm stack
         * passes still vary about that much.
         */
        boolean settledAfter(Untimed before) {
            return Math.abs(write - before.write) <= 0.1 * before.write
                    && Math.abs(fsync - before.fsync) <= 0.1 * before.fsync;
        }
    }

    record Report(long callers, long connections, long warmupOps, double warmupSeconds, List<Untimed> untimed,
                  double roundTripUs, double writeP50,
                  double writeP99, double rewriteP50, double fsyncP50, double fsyncP99, double deviceUsPerFsync,
                  double appendWriteP50, double commitFsyncP50, double commitFsyncP99, double deviceUsPerCommitFsync,
                  double writes1, double writes64, double fsyncs1, double fsyncs64, Cpu cpuPerWrite, Cpu cpuPerFsync,
                  double directP50, double directP99, double deviceUsPerDirect, double directs1, double directs16) {
        @Override
        public String toString() {
            return String.format("""

                    gateway benchmark (REST → vfs → ext4 → jbd2/writeback → blockdev, ufs3.1)
                      warm-up, 16 clients                     %8d calls (ping, write, fsync) in %.0f s
                        then %s
                      bus round trip (ping's last hop) p50    %8.0f us
                      write() 4 KiB, 1 client   p50 %8.0f us (%4.1f round trips)  p99 %8.0f us (%4.1f)
                      fsync() after 4 KiB       p50 %8.0f us (%4.1f round trips)  p99 %8.0f us (%4.1f)
                        the device's part         %8.0f us per fsync: p50 %.1f round trips besides it
                      write() after an fsync    p50 %8.0f us (%4.1f round trips; its clean page dirtied again)
                      write() appending 4 KiB   p50 %8.0f us (%4.1f round trips)
                      fsync() after it (commit) p50 %8.0f us (%4.1f round trips)  p99 %8.0f us (%4.1f)
                        the device's part         %8.0f us per fsync: p50 %.1f round trips besides it
                      buffered 4 KiB writes/s   1 client %8.0f   64 clients %8.0f
                      write+fsync per second    1 client %8.0f   64 clients %8.0f
                      O_DIRECT write() 4 KiB    p50 %8.0f us (%4.1f round trips)  p99 %8.0f us (%4.1f)
                        the device's part         %8.0f us per write: p50 %.1f round trips besides it
                      O_DIRECT 4 KiB writes/s   1 client %8.0f   16 clients %8.0f
                      clients (one process each) %7d on %d kept-alive connections
                      CPU per buffered 4 KiB write, 1 client: %s
                      CPU per write+fsync, 1 client:          %s
                    """, warmupOps, warmupSeconds, untimedPasses(), roundTripUs,
                    writeP50, writeP50 / roundTripUs, writeP99, writeP99 / roundTripUs,
                    fsyncP50, fsyncP50 / roundTripUs, fsyncP99, fsyncP99 / roundTripUs,
                    deviceUsPerFsync, (fsyncP50 - deviceUsPerFsync) / roundTripUs, rewriteP50, rewriteP50 / roundTripUs,
                    appendWriteP50, appendWriteP50 / roundTripUs,
                    commitFsyncP50, commitFsyncP50 / roundTripUs, commitFsyncP99, commitFsyncP99 / roundTripUs,
                    deviceUsPerCommitFsync, (commitFsyncP50 - deviceUsPerCommitFsync) / roundTripUs,
                    writes1, writes64, fsyncs1, fsyncs64,
                    directP50, directP50 / roundTripUs, directP99, directP99 / roundTripUs,
                    deviceUsPerDirect, (directP50 - deviceUsPerDirect) / roundTripUs, directs1, directs16,
                    callers, connections, cpuPerWrite, cpuPerFsync);
        }

        private String untimedPasses() {
            StringBuilder b = new StringBuilder(
                    untimed.size() == 1 ? "one untimed pass" : untimed.size() + " untimed passes");
            b.append(" of the phases below, write() / fsync() p50 in round trips:");
            for (Untimed u : untimed) {
                b.append(String.format(" %.1f / %.1f,", u.write(), u.fsync()));
            }
            b.setLength(b.length() - 1);
            return b.toString();
        }
    }

    /**
     * CPU time of every process of the stack per operation of a single client's stream, in milliseconds, and the share
     * of the machine's cores the stack used meanwhile: on two cores one client's calls keep the stack busy enough
     * that a call waits for a core at most hops, so what a call costs in CPU is what its latency is made of.
     */
    record Cpu(Map<String, Double> msPerOp, double total, double coresBusy) {
        static final Cpu NONE = new Cpu(Map.of(), 0, 0);

        @Override
        public String toString() {
            if (msPerOp.isEmpty()) {
                return "not measured (no process of the stack found)";
            }
            StringBuilder b = new StringBuilder(String.format("%.1f ms in all (the stack busy %.0f %% of the time on %d cores):",
                    total, coresBusy * 100, Runtime.getRuntime().availableProcessors()));
            msPerOp.forEach((name, ms) -> b.append(String.format(" %s %.2f,", name.replace("-service", ""), ms)));
            b.setLength(b.length() - 1);
            return b.toString();
        }
    }

    /** One pass of the latency phases: every call timed, in nanoseconds, and the device's time in the fsync phases. */
    private static final class Latencies {
        final List<Long> roundTrips = new ArrayList<>();
        final List<Long> writes = new ArrayList<>();
        final List<Long> rewrites = new ArrayList<>();
        final List<Long> fsyncs = new ArrayList<>();
        final List<Long> appends = new ArrayList<>();
        final List<Long> commitFsyncs = new ArrayList<>();
        long deviceNanos;
        long commitDeviceNanos;
        /** O_DIRECT overwrites of an allocated block: the data straight to the device, in the writer. */
        final List<Long> directs = new ArrayList<>();
        long directDeviceNanos;

        double roundTrip() {
            return pct(roundTrips, 50);
        }
    }

    Report run() throws Exception {
        long warmStart = System.nanoTime();
        long warm = warmUp();
        double warmSeconds = (System.nanoTime() - warmStart) / 1e9;
        settle();
        List<Untimed> untimed = warmUpTheSingleClient();
        Latencies l = latencies();
        Map<String, Long> cpu0 = cpuNanos();
        long t0 = System.nanoTime();
        AtomicLong ops = new AtomicLong();
        double writes1 = load(1, Load.BUFFERED, ops);
        Cpu cpuPerWrite = cpuPerOp(cpu0, System.nanoTime() - t0, ops.get());
        double writes64 = load(64, Load.BUFFERED, new AtomicLong());
        cpu0 = cpuNanos();
        t0 = System.nanoTime();
        ops.set(0);
        double fsyncs1 = load(1, Load.FSYNC, ops);
        Cpu cpuPerFsync = cpuPerOp(cpu0, System.nanoTime() - t0, ops.get());
        double fsyncs64 = load(64, Load.FSYNC, new AtomicLong());
        double directs1 = load(1, Load.DIRECT, new AtomicLong());
        double directs16 = load(16, Load.DIRECT, new AtomicLong());
        return new Report(callers.get(), connections.get(), warm, warmSeconds, untimed, l.roundTrip(),
                pct(l.writes, 50), pct(l.writes, 99),
                pct(l.rewrites, 50), pct(l.fsyncs, 50), pct(l.fsyncs, 99), l.deviceNanos / 1e3 / Math.max(1, l.fsyncs.size()),
                pct(l.appends, 50), pct(l.commitFsyncs, 50), pct(l.commitFsyncs, 99),
                l.commitDeviceNanos / 1e3 / Math.max(1, l.commitFsyncs.size()), writes1, writes64, fsyncs1, fsyncs64,
                cpuPerWrite, cpuPerFsync, pct(l.directs, 50), pct(l.directs, 99),
                l.directDeviceNanos / 1e3 / Math.max(1, l.directs.size()), directs1, directs16);
    }

    /**
     * Pings, buffered writes and fsyncs from {@link #WARMUP_CLIENTS} processes until they made the warm-up's calls (the
     * JIT counts calls, not seconds; several clients make them sooner than one), at most for its time, with progress;
     * returns how many calls they made.
     */
    private long warmUp() throws Exception {
        AtomicLong calls = new AtomicLong();
        long start = System.nanoTime();
        long end = start + warmupAtMost.toNanos();
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < WARMUP_CLIENTS; i++) {
            int id = i;
            clients.add(Thread.ofVirtual().start(() -> {
                try (KeepAliveConnection c = client("bench-warm", 4100 + id)) {
                    int fd = c.open("/bench-warm-" + id);
                    byte[] page = new byte[4096];
                    for (int n = 0; System.nanoTime() < end && calls.get() < warmupCalls; n++) {
                        roundTripNanos(c);
                        c.pwrite(fd, 0, page);
                        calls.addAndGet(2);
                        if (n % 8 == 7) {
                            c.post("/v1/fds/" + fd + "/fsync");
                            calls.incrementAndGet();
                        }
                    }
                    c.post("/v1/fds/" + fd + "/close");
                    connections.addAndGet(c.connections());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (Thread t : clients) {
            while (!t.join(Duration.ofSeconds(10))) {
                System.out.printf("gateway benchmark: warming up, %d calls in %d s%n", calls.get(),
                        (System.nanoTime() - start) / 1_000_000_000L);
            }
        }
        return calls.get();
    }

    /**
     * JMH's warm-up iterations: the latency phases untimed, until a pass's write() and fsync() p50 (in round trips) are
     * within a tenth of the pass before, at most {@value #MAX_UNTIMED_PASSES} passes. Right after the sixteen clients'
     * warm-up the single client's paths were still being compiled: on one stack four passes in a row went 3.1, 2.4,
     * 2.0 and 2.2 round trips for write(), and a slow stack (4,214 warm-up calls in 60 s) still measured 3.6 in its
     * first pass and 3.1 in the next.
     */
    private List<Untimed> warmUpTheSingleClient() throws Exception {
        List<Untimed> passes = new ArrayList<>();
        do {
            Latencies l = latencies();
            passes.add(new Untimed(pct(l.writes, 50) / l.roundTrip(), pct(l.fsyncs, 50) / l.roundTrip()));
            System.out.printf("gateway benchmark: untimed pass %d, write() %.1f and fsync() %.1f round trips%n",
                    passes.size(), passes.getLast().write(), passes.getLast().fsync());
        } while (passes.size() < MAX_UNTIMED_PASSES
                && (passes.size() < 2 || !passes.getLast().settledAfter(passes.get(passes.size() - 2))));
        return passes;
    }

    /**
     * sync(2) after the warm-up: its sixteen files, dirty since its start, would otherwise reach their expiry while the
     * first phase is timed, and the flusher and jbd2 write them back and commit them under it.
     */
    private void settle() throws Exception {
        try (KeepAliveConnection c = client("bench-sync", 4001)) {
            KeepAliveConnection.Response r = c.post("/v1/sync");
            if (r.status() != 200) {
                throw new AssertionError("sync after the warm-up: " + r.status() + " " + r.text());
            }
            connections.addAndGet(c.connections());
        }
    }

    /**
     * One client, every call timed, a round trip sampled before each write, each phase for {@link #each}:
     * <ol>
     *   <li>a stream of buffered writes to a page already dirty (what write() costs, as fio's buffered write latency
     *       has it);</li>
     *   <li>write and fsync: the writes find the page clean again after the fsync and dirty it anew; the fsync commits
     *       only when the write moved the inode's times (once a jiffy by default) or size;</li>
     *   <li>a 4 KiB append and fsync: every fsync commits the journal (the new size and block), the path a log or a
     *       database's WAL takes.</li>
     * </ol>
     * The modelled device's time in the fsync phases is what every block request spent from issue to completion in
     * blockdev (blockdev_request_latency_seconds), counted in full where two requests overlap.
     */
    private Latencies latencies() throws Exception {
        Latencies l = new Latencies();
        try (KeepAliveConnection c = client("bench-lat", 4002)) {
            int fd = c.open("/bench-lat");
            byte[] page = new byte[4096];
            long end = System.nanoTime() + each.toNanos();
            while (System.nanoTime() < end) {
                l.roundTrips.add(roundTripNanos(c));
                l.writes.add(timed(() -> c.pwrite(fd, 0, page)));
            }
            long deviceBefore = deviceNanos();
            end = System.nanoTime() + each.toNanos();
            while (System.nanoTime() < end) {
                l.roundTrips.add(roundTripNanos(c));
                l.rewrites.add(timed(() -> c.pwrite(fd, 0, page)));
                l.fsyncs.add(timed(() -> c.post("/v1/fds/" + fd + "/fsync")));
            }
            l.deviceNanos = deviceNanos() - deviceBefore;
            c.post("/v1/fds/" + fd + "/close");

            int log = c.open("/bench-log-" + System.nanoTime());
            deviceBefore = deviceNanos();
            end = System.nanoTime() + each.toNanos();
            for (long offset = 0; System.nanoTime() < end; offset += page.length) {
                long at = offset;
                l.roundTrips.add(roundTripNanos(c));
                l.appends.add(timed(() -> c.pwrite(log, at, page)));
                l.commitFsyncs.add(timed(() -> c.post("/v1/fds/" + log + "/fsync")));
            }
            l.commitDeviceNanos = deviceNanos() - deviceBefore;
            c.post("/v1/fds/" + log + "/close");

            int direct = c.open("/bench-direct", "O_CREAT", "O_RDWR", "O_DIRECT");
            c.pwrite(direct, 0, page); // allocates the block: the timed writes overwrite it
            deviceBefore = deviceNanos();
            end = System.nanoTime() + each.toNanos();
            while (System.nanoTime() < end) {
                l.roundTrips.add(roundTripNanos(c));
                l.directs.add(timed(() -> c.pwrite(direct, 0, page)));
            }
            l.directDeviceNanos = deviceNanos() - deviceBefore;
            c.post("/v1/fds/" + direct + "/close");
            connections.addAndGet(c.connections());
            return l;
        }
    }

    /** The sum of blockdev_request_latency_seconds over every operation, from blockdev's Prometheus endpoint. */
    private long deviceNanos() throws Exception {
        String metrics = Rest.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + blockdevPort + "/actuator/prometheus"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = DEVICE_SECONDS.matcher(metrics);
        double seconds = 0;
        int found = 0;
        while (m.find()) {
            seconds += Double.parseDouble(m.group(1));
            found++;
        }
        if (found == 0) {
            throw new AssertionError("no blockdev_request_latency_seconds_sum on blockdev's /actuator/prometheus");
        }
        return (long) (seconds * 1e9);
    }

    private interface Call {
        void run() throws Exception;
    }

    private static long timed(Call call) throws Exception {
        long t0 = System.nanoTime();
        call.run();
        return System.nanoTime() - t0;
    }

    private KeepAliveConnection client(String comm, int pid) {
        callers.incrementAndGet();
        return new KeepAliveConnection(port, comm, pid);
    }

    /** The last hop of one ping (jbd2 → blockdev), as jbd2 timed it. */
    private static long roundTripNanos(KeepAliveConnection c) throws Exception {
        Matcher m = LAST_HOP.matcher(c.get("/v1/ping").text());
        if (!m.find()) {
            throw new AssertionError("a ping without its blockdev hop");
        }
        return Long.parseLong(m.group(1)) * 1000;
    }

    /** What each client of a load phase does: buffered 4 KiB overwrites, each followed by fsync, or O_DIRECT ones. */
    enum Load { BUFFERED, FSYNC, DIRECT }

    /** Operations per second of {@code clients} processes, each overwriting 4 KiB of its own file as {@code load}. */
    private double load(int clients, Load load, AtomicLong ops) throws Exception {
        boolean fsync = load == Load.FSYNC;
        byte[] page = new byte[4096];
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + each.toNanos();
        for (int i = 0; i < clients; i++) {
            int id = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try (KeepAliveConnection c = client("bench-" + load.name().charAt(0) + clients, 5000 + id)) {
                    int fd = load == Load.DIRECT ? c.open("/bench-direct-" + id, "O_CREAT", "O_RDWR", "O_DIRECT")
                            : c.open("/bench-" + id);
                    while (System.nanoTime() < end) {
                        c.pwrite(fd, 0, page);
                        if (fsync) {
                            c.post("/v1/fds/" + fd + "/fsync");
                        }
                        ops.incrementAndGet();
                    }
                    c.post("/v1/fds/" + fd + "/close");
                    connections.addAndGet(c.connections());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        return ops.get() / ((System.nanoTime() - start) / 1e9);
    }

    /** Every process's CPU time so far (ProcessHandle.Info, from /proc on Linux); a process that tells none is left out. */
    private Map<String, Long> cpuNanos() {
        Map<String, Long> cpu = new LinkedHashMap<>();
        processes.forEach((name, h) -> h.info().totalCpuDuration().ifPresent(d -> cpu.put(name, d.toNanos())));
        return cpu;
    }

    private Cpu cpuPerOp(Map<String, Long> before, long elapsedNanos, long ops) {
        Map<String, Long> after = cpuNanos();
        if (after.isEmpty() || ops == 0) {
            return Cpu.NONE;
        }
        Map<String, Double> perOp = new LinkedHashMap<>();
        long all = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            long spent = e.getValue() - before.getOrDefault(e.getKey(), e.getValue());
            all += spent;
            perOp.put(e.getKey(), spent / 1e6 / ops);
        }
        return new Cpu(perOp, all / 1e6 / ops,
                all / (double) elapsedNanos / Runtime.getRuntime().availableProcessors());
    }

    /** Percentile in microseconds of nanosecond samples. */
    private static double pct(List<Long> nanos, int p) {
        if (nanos.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100)) / 1e3;
    }
}
