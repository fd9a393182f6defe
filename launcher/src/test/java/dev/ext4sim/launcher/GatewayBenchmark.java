package dev.ext4sim.launcher;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmark at the gateway: write() and fsync() latency (p50, p99), buffered 4 KiB writes per second and
 * fsyncs per second with 1 and 64 clients, and, in the same run, the bus's bare request/reply round trip (the last
 * hop of a ping, jbd2 → blockdev), so that each latency reads as a multiple of it. Writes overwrite the first 4 KiB
 * of one file per client, so the benchmark takes no space. It prints; it asserts nothing about speed.
 */
final class GatewayBenchmark {
    private final Rest rest;
    private final Duration each;

    GatewayBenchmark(Rest rest, Duration each) {
        this.rest = rest;
        this.each = each;
    }

    record Report(double roundTripUs, double writeP50, double writeP99, double fsyncP50, double fsyncP99,
                  double writes1, double writes64, double fsyncs1, double fsyncs64) {
        @Override
        public String toString() {
            return String.format("""

                    gateway benchmark (REST → vfs → ext4 → jbd2/writeback → blockdev, ufs3.1)
                      bus round trip (ping's last hop) p50    %8.0f us
                      write() 4 KiB, 1 client   p50 %8.0f us (%4.1f round trips)  p99 %8.0f us (%4.1f)
                      fsync() after 4 KiB       p50 %8.0f us (%4.1f round trips)  p99 %8.0f us (%4.1f)
                      buffered 4 KiB writes/s   1 client %8.0f   64 clients %8.0f
                      write+fsync per second    1 client %8.0f   64 clients %8.0f
                    """, roundTripUs, writeP50, writeP50 / roundTripUs, writeP99, writeP99 / roundTripUs,
                    fsyncP50, fsyncP50 / roundTripUs, fsyncP99, fsyncP99 / roundTripUs, writes1, writes64, fsyncs1, fsyncs64);
        }
    }

    Report run() throws Exception {
        double rt = roundTrip();
        List<Long> writeLat = Collections.synchronizedList(new ArrayList<>());
        List<Long> fsyncLat = Collections.synchronizedList(new ArrayList<>());
        double writes1 = load(1, false, writeLat, null);
        double writes64 = load(64, false, null, null);
        double fsyncs1 = load(1, true, null, fsyncLat);
        double fsyncs64 = load(64, true, null, null);
        return new Report(rt, pct(writeLat, 50), pct(writeLat, 99), pct(fsyncLat, 50), pct(fsyncLat, 99),
                writes1, writes64, fsyncs1, fsyncs64);
    }

    private double roundTrip() throws Exception {
        Rest.Caller c = rest.as("bench-ping", 4000);
        Pattern last = Pattern.compile("\"service\":\"blockdev-service\",\"pid\":\\d+,\"latency_us\":(\\d+)");
        List<Long> us = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            Matcher m = last.matcher(c.get("/v1/ping").body());
            if (m.find() && i >= 20) {
                us.add(Long.parseLong(m.group(1)) * 1000);
            }
        }
        return pct(us, 50);
    }

    /** Operations per second of {@code clients} processes, each overwriting 4 KiB of its own file (and fsyncing). */
    private double load(int clients, boolean fsync, List<Long> writeLat, List<Long> fsyncLat) throws Exception {
        AtomicLong ops = new AtomicLong();
        byte[] page = new byte[4096];
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + each.toNanos();
        for (int i = 0; i < clients; i++) {
            int id = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    Rest.Caller c = rest.as("bench-" + (fsync ? "f" : "w") + clients, 5000 + id);
                    int fd = c.open("/bench-" + id, List.of("O_CREAT", "O_RDWR"), "0644").fd();
                    while (System.nanoTime() < end) {
                        long t0 = System.nanoTime();
                        c.write(fd, 0, page);
                        long t1 = System.nanoTime();
                        if (writeLat != null) {
                            writeLat.add((t1 - t0));
                        }
                        if (fsync) {
                            c.post("/v1/fds/" + fd + "/fsync");
                            if (fsyncLat != null) {
                                fsyncLat.add(System.nanoTime() - t1);
                            }
                        }
                        ops.incrementAndGet();
                    }
                    c.post("/v1/fds/" + fd + "/close");
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
