package dev.ext4sim.jbd2.it;

import static dev.ext4sim.jbd2.it.Handles.fill;
import static dev.ext4sim.jbd2.it.Handles.number;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Group commit against a real broker, a real blockdev-service and a real jbd2-service: concurrent handles share
 * one transaction that commits once with the kernel's tracepoints in order, and concurrent fsync waiters are served
 * by a handful of commits. The benchmark prints commits/s and handles per transaction.
 */
class Jbd2CommitIT {
    static final long IMAGE = 128L << 20;
    static final String[] JBD2 = {"--ext4sim.jbd2.commit-interval=60s"};
    static final List<String> COMMIT_EVENTS = List.of("jbd2_start_commit", "jbd2_commit_locking", "jbd2_commit_flushing",
            "jbd2_commit_logging", "jbd2_run_stats", "jbd2_end_commit");

    /** Home blocks in the data area, clear of the journal (checked). */
    static long home(Stack s, int i) {
        long b = 30_000 + i;
        try (Ext4Filesystem fs = Ext4Filesystem.open(s.image)) {
            for (var e : fs.journalExtents()) {
                assertThat(b >= e.pblk() && b < e.pblk() + e.len()).as("block " + b + " is in the journal").isFalse();
            }
        }
        return b;
    }

    static TraceContext task(String comm, int pid) {
        return new TraceContext("it-" + comm + "-" + pid, new Task(comm, pid));
    }

    static int tidOf(TraceEvent e) {
        Object t = e.fields().containsKey("tid") ? e.fields().get("tid") : e.fields().get("transaction");
        return (int) number(t);
    }

    @Test
    void aTransactionOfConcurrentHandlesCommitsOnceWithTheKernelsTracepointsInOrder() throws Exception {
        try (Stack s = Stack.start("handles", IMAGE, "instant", JBD2)) {
            Jbd2Calls.Loaded loaded = Stack.load();
            long epoch = loaded.epoch();
            int n = 8;
            long[] homes = new long[n];
            for (int i = 0; i < n; i++) {
                homes[i] = home(s, i);
            }
            int mark = Stack.traceMark();
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> tids = new ArrayList<>();
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < n; i++) {
                    int k = i;
                    TraceContext writer = task("writer" + k, 1000 + k);
                    tids.add(callers.submit(() -> {
                        go.await();
                        if (k % 2 == 0) { // the separate calls: START, BUFFER, BUFFER, STOP
                            Jbd2Calls.Started h = Stack.jbd2(Jbd2Calls.START, new Jbd2Calls.Start(epoch, 1, 1, 100 + k), writer);
                            Stack.jbd2(Jbd2Calls.BUFFER, new Jbd2Calls.BufferOp(epoch, h.handle(), Jbd2Calls.GET_WRITE_ACCESS, homes[k], null), writer);
                            Stack.jbd2(Jbd2Calls.BUFFER, new Jbd2Calls.BufferOp(epoch, h.handle(), Jbd2Calls.DIRTY_METADATA, homes[k], fill(k + 1)), writer);
                            return Stack.jbd2(Jbd2Calls.STOP, new Jbd2Calls.Stop(epoch, h.handle(), false), writer).tid();
                        }
                        return Stack.jbd2(Jbd2Calls.RUN, Handles.run(epoch, Map.of(homes[k], fill(k + 1))), writer).tid();
                    }));
                }
                go.countDown();
            }
            Set<Integer> distinct = new HashSet<>();
            for (Future<Integer> f : tids) {
                distinct.add(f.get());
            }
            assertThat(distinct).as("every handle joined the one running transaction").hasSize(1);
            int tid = distinct.iterator().next();

            TraceContext fsync = task("fsync", 2000);
            Jbd2Calls.Waited w = Stack.jbd2(Jbd2Calls.WAIT, new Jbd2Calls.Wait(epoch, Jbd2Calls.COMPLETE_TRANSACTION, tid), fsync);
            assertThat(w.commitSequence()).isEqualTo(tid);
            Stack.awaitTrace(mark, Duration.ofSeconds(30), e -> e.event().equals("jbd2_end_commit") && tidOf(e) == tid,
                    "jbd2_end_commit of " + tid);

            List<TraceEvent> jbd2 = Stack.traceSince(mark).stream().filter(e -> e.system().equals("jbd2")).toList();
            List<TraceEvent> starts = jbd2.stream().filter(e -> e.event().equals("jbd2_handle_start")).toList();
            List<TraceEvent> stats = jbd2.stream().filter(e -> e.event().equals("jbd2_handle_stats")).toList();
            Set<String> writers = new HashSet<>();
            for (int i = 0; i < n; i++) {
                writers.add("writer" + i);
            }
            assertThat(starts).hasSize(n).allSatisfy(e -> assertThat(tidOf(e)).isEqualTo(tid));
            assertThat(stats).hasSize(n).allSatisfy(e -> assertThat(e.text()).contains("dirtied_blocks 1"));
            assertThat(starts.stream().map(TraceEvent::comm).collect(Collectors.toSet())).isEqualTo(writers);
            assertThat(stats.stream().map(TraceEvent::comm).collect(Collectors.toSet())).isEqualTo(writers);
            for (String writer : writers) { // per task: its start before its stats
                assertThat(jbd2.stream().filter(e -> e.comm().equals(writer)).map(TraceEvent::event).toList())
                        .containsExactly("jbd2_handle_start", "jbd2_handle_stats");
            }

            List<TraceEvent> commit = jbd2.stream().filter(e -> COMMIT_EVENTS.contains(e.event()) && tidOf(e) == tid).toList();
            assertThat(commit).extracting(TraceEvent::event).as("one commit, its phases in order").containsExactlyElementsOf(COMMIT_EVENTS);
            assertThat(commit).allSatisfy(e -> assertThat(e.comm()).isEqualTo("jbd2/sda1-8"));
            assertThat(commit.getFirst().traceId()).as("the commit traces as the fsync that asked for it").isEqualTo(fsync.traceId());
            int firstCommitEvent = jbd2.indexOf(commit.getFirst());
            assertThat(jbd2.subList(0, firstCommitEvent)).as("every handle event before jbd2_start_commit")
                    .containsAll(starts).containsAll(stats);
            assertThat(commit.get(4).text()).contains("tid " + tid, "handle_count " + n, "blocks " + n);
            assertThat(commit.get(0).text()).isEqualTo("dev 8,1 transaction " + tid + " sync 0");

            // /proc info over REST, from the live journal
            HttpResponse<String> info = Stack.getResponse(s.jbd2Port, "/v1/jbd2/info");
            assertThat(info.statusCode()).isEqualTo(200);
            assertThat(info.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
            assertThat(info.body()).startsWith("1 transactions (1 requested), each up to " + loaded.maxTransaction()
                            + " blocks\naverage: \n")
                    .contains("  8 handles per transaction\n", "  8 blocks per transaction\n");
            Jbd2Calls.InfoText text = Stack.jbd2(Jbd2Calls.INFO, new Jbd2Calls.Info("sda1"), fsync);
            assertThat(text.path()).isEqualTo("/proc/fs/jbd2/sda1-8/info");
            assertThat(text.text()).isEqualTo(info.body());

            String metrics = Stack.get(s.jbd2Port, "/actuator/prometheus");
            assertThat(metrics).contains("jbd2_commit_total_seconds_bucket{dev=\"sda1-8\"",
                    "jbd2_commit_logging_seconds_bucket{dev=\"sda1-8\"", "jbd2_commit_running_seconds_count{dev=\"sda1-8\"} 1",
                    "jbd2_transactions_total{dev=\"sda1-8\",requested=\"true\"} 1.0",
                    "jbd2_transaction_handles_sum{dev=\"sda1-8\"} 8.0", "jbd2_transaction_blocks_bucket{dev=\"sda1-8\"",
                    "jbd2_journal_free_blocks{dev=\"sda1-8\"}", "jbd2_checkpoints_total{dev=\"sda1-8\"} 0.0",
                    "jbd2_handle_lease_expired_total{dev=\"sda1-8\"} 0.0");
        }
    }

    /**
     * 64 fsync waiters at once, then on the same stack (a JVM start less: the two cores are shared) the benchmark,
     * which only prints: commits per second and handles per transaction for 1, 8 and 64 concurrent fsync callers.
     */
    @Test
    void sixtyFourConcurrentFsyncWaitersAreServedByAHandfulOfCommits() throws Exception {
        try (Stack s = Stack.start("fsync64", IMAGE, "ufs3.1", JBD2)) {
            long epoch = Stack.load().epoch();
            int n = 64;
            int mark = Stack.traceMark();
            List<Integer> tids = fsyncs(s, epoch, n, 0);
            Set<Integer> commits = new HashSet<>(tids);
            System.out.printf("jbd2 group commit: %d concurrent fsync waiters served by %d commits (%s)%n", n, commits.size(),
                    tids.stream().collect(Collectors.groupingBy(t -> t, Collectors.counting())));
            assertThat(commits.size()).as("a handful of commits for 64 waiters").isLessThanOrEqualTo(8);
            int last = Collections.max(tids);
            Stack.awaitTrace(mark, Duration.ofSeconds(30), e -> e.event().equals("jbd2_end_commit") && tidOf(e) == last, "end of the last commit");
            List<TraceEvent> runStats = Stack.traceSince(mark).stream().filter(e -> e.event().equals("jbd2_run_stats")).toList();
            assertThat(runStats).hasSize(commits.size());
            assertThat(runStats.stream().mapToLong(e -> number(e.fields().get("handle_count"))).sum()).isEqualTo(n);

            fsyncBenchmark(s, epoch);
        }
    }

    /** {@code n} callers at once, each one handle dirtying its own block then complete_transaction; their tids. */
    static List<Integer> fsyncs(Stack s, long epoch, int n, int round) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> futures = new ArrayList<>();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                long block = home(s, i);
                TraceContext t = task("fsync" + i, 3000 + i);
                int fillValue = (round * 64 + i) & 0xFF;
                futures.add(callers.submit(() -> {
                    go.await();
                    return Handles.runAndComplete(epoch, Map.of(block, fill(fillValue)), t);
                }));
            }
            go.countDown();
        }
        List<Integer> tids = new ArrayList<>();
        for (Future<Integer> f : futures) {
            tids.add(f.get());
        }
        return tids;
    }

    /** Prints only: commits per second and handles per transaction for 1, 8 and 64 concurrent fsync callers. */
    static void fsyncBenchmark(Stack s, long epoch) throws Exception {
        long[] homes = new long[64];
        for (int i = 0; i < homes.length; i++) {
            homes[i] = home(s, i);
        }
        for (int callers : new int[]{1, 8, 64}) {
            run(epoch, homes, callers, Duration.ofMillis(300)); // warm-up
            Result r = run(epoch, homes, callers, Duration.ofMillis(2000));
            System.out.printf("jbd2 fsync benchmark (%s): %2d callers: %6.1f commits/s, %5.1f handles/transaction,"
                            + " %6.0f fsyncs/s, fsync p50 %.2f ms%n", s.profile, callers, r.commits / r.seconds,
                    (double) r.ops / r.commits, r.ops / r.seconds, r.p50Millis);
        }
        System.out.printf("jbd2 fsync benchmark: commit time (T_FLUSH to callback) p50 <= %s s over all commits%n",
                p50Bucket(Stack.get(s.jbd2Port, "/actuator/prometheus"), "jbd2_commit_total_seconds_bucket"));
        // for scale: one bus round trip on this machine now (a fsync is three: RUN, WAIT, and the commit's blk_submit)
        List<Long> trips = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            long t0 = System.nanoTime();
            Stack.readBlock(homes[0]);
            trips.add(System.nanoTime() - t0);
        }
        Collections.sort(trips);
        System.out.printf("jbd2 fsync benchmark: one blk_submit round trip (4 KiB read) p50 %.2f ms%n", trips.get(50) / 1e6);
    }

    record Result(long ops, long commits, double seconds, double p50Millis) {
    }

    static Result run(long epoch, long[] homes, int callers, Duration length) throws Exception {
        long end = System.nanoTime() + length.toNanos();
        Set<Integer> tids = Collections.synchronizedSet(new HashSet<>());
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        long began = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < callers; i++) {
                int k = i;
                TraceContext t = task("bench" + k, 5000 + k);
                pool.submit(() -> {
                    int round = 0;
                    while (System.nanoTime() < end) {
                        long t0 = System.nanoTime();
                        tids.add(Handles.runAndComplete(epoch, Map.of(homes[k], fill(round++)), t));
                        latencies.add(System.nanoTime() - t0);
                    }
                    return null;
                });
            }
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        return new Result(sorted.size(), tids.size(), seconds, sorted.get(sorted.size() / 2) / 1e6);
    }

    /** The upper bound of the bucket holding the median of a Prometheus histogram. */
    static String p50Bucket(String scrape, String bucket) {
        List<double[]> buckets = new ArrayList<>();
        for (String line : scrape.split("\n")) {
            if (line.startsWith(bucket + "{")) {
                String le = line.replaceAll(".*le=\"([^\"]+)\".*", "$1");
                double count = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                buckets.add(new double[]{le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), count});
            }
        }
        if (buckets.isEmpty()) {
            return "?";
        }
        double total = buckets.getLast()[1];
        for (double[] b : buckets) {
            if (b[1] >= total / 2) {
                return String.valueOf(b[0]);
            }
        }
        return "?";
    }
}
