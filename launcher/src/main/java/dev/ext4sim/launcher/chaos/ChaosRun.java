package dev.ext4sim.launcher.chaos;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * ./ext4sim chaos: a workload with a ledger of what its durability calls acknowledged, a schedule of crashes at the
 * services' crash points, and after each crash, once the watchdog has the service serving again, every file read back
 * and held to the ledger; at the end a clean stop, e2fsck -fn on the image and every file read out of it with debugfs.
 */
public final class ChaosRun {
    /** What the run needs of the stack; the launcher's side of it. */
    public interface Stack {
        int gatewayPort();

        /** The crash points a service has. */
        List<String> crashPoints(String service);

        /** Arms {@code point} to fire at its next hit; false when the service refused. */
        boolean arm(String service, String point);

        void disarmAll(String service);

        /** The pid of the service's process, or -1 when it does not run. */
        long pid(String service);

        boolean healthy(String service);

        /** Stops the stack cleanly (unmount, flush); 0 on success. */
        int down();

        Path image();
    }

    /** One crash to make: a point of a service. */
    public record Crash(String service, String point) {
    }

    public record Options(int clients, long seed, List<Crash> schedule, Duration waitForPoint) {
    }

    /** The outcome per point. */
    public static final class PointReport {
        public int fired;
        public int notReached;
        public final List<Long> recoveryMillis = new ArrayList<>();
        public long lostAcknowledgedBytes;
        public final Map<String, Long> errnos = new TreeMap<>();
        public long longestCallMillis;
    }

    private final Stack stack;
    private final Options options;
    private final PrintStream out;
    private final E2fsprogs e2fsprogs;

    public ChaosRun(Stack stack, Options options, PrintStream out, E2fsprogs e2fsprogs) {
        this.stack = stack;
        this.options = options;
        this.out = out;
        this.e2fsprogs = e2fsprogs;
    }

    /** Runs it all and prints the report; the report as JSON in {@code json}. Returns 0 when nothing was violated. */
    public int run(Path json) throws Exception {
        ChaosControl control = new ChaosControl();
        List<ChaosClient> clients = new ArrayList<>();
        Random seeds = new Random(options.seed());
        long runId = Math.floorMod(seeds.nextLong(), 1_000_000L);
        for (int i = 0; i < options.clients(); i++) {
            ChaosClient c = new ChaosClient(new Gateway(stack.gatewayPort(), "chaos-" + i, 7100 + i), seeds.nextLong(),
                    "/chaos-" + runId + "-" + i, control);
            if (!c.setUp()) {
                out.println("chaos: client " + i + " could not create its files; is the stack up? ./ext4sim status");
                return 1;
            }
            clients.add(c);
        }
        List<Thread> threads = clients.stream().map(c -> Thread.ofVirtual().name("chaos-client").start(c)).toList();
        Map<String, PointReport> points = new LinkedHashMap<>();
        Gateway reader = new Gateway(stack.gatewayPort(), "chaos-check", 7099);
        long lostDuringRun = 0;
        int n = 0;
        try {
            for (Crash crash : options.schedule()) {
                n++;
                PointReport report = points.computeIfAbsent(crash.point(), p -> new PointReport());
                long durableBefore = durableCalls(clients);
                awaitQuietly(Duration.ofSeconds(60), () -> durableCalls(clients) >= durableBefore + 3);
                Map<String, Long> errnosBefore = errnos(clients);
                clients.forEach(c -> c.longestCallMillis.set(0));
                long pid = stack.pid(crash.service());
                // a point reached at once may kill the service before its answer to the arming leaves
                if (pid < 0 || (!stack.arm(crash.service(), crash.point()) && stack.pid(crash.service()) == pid)) {
                    out.printf("[%d/%d] %s: %s is not running or refused the arming; skipped%n", n,
                            options.schedule().size(), crash.point(), crash.service());
                    report.notReached++;
                    continue;
                }
                boolean died = awaitQuietly(options.waitForPoint(), () -> stack.pid(crash.service()) != pid);
                if (!died) {
                    stack.disarmAll(crash.service());
                    report.notReached++;
                    out.printf("[%d/%d] %s: not reached within %d s; disarmed%n", n, options.schedule().size(),
                            crash.point(), options.waitForPoint().toSeconds());
                    continue;
                }
                long diedAt = System.nanoTime();
                if (!crash.service().equals("jbd2-service")) {
                    // ext4's page cache or the device's cache went with it: what was not acknowledged may be gone
                    clients.forEach(c -> c.files().forEach(f -> f.ledger().unacknowledgedMayBeLost()));
                }
                boolean back = awaitQuietly(Duration.ofMinutes(3),
                        () -> stack.pid(crash.service()) > 0 && stack.healthy(crash.service()));
                long recovery = (System.nanoTime() - diedAt) / 1_000_000;
                report.fired++;
                if (!back) {
                    // stopped with a service down, the clean stop cannot write everything: no exact check
                    clients.forEach(c -> c.files().forEach(f -> f.ledger().unacknowledgedMayBeLost()));
                    out.printf("[%d/%d] %s: %s did not serve again within 3 min (is the watchdog running? ./ext4sim "
                            + "status); stopping%n", n, options.schedule().size(), crash.point(), crash.service());
                    return finish(control, threads, clients, points, json, lostDuringRun, false);
                }
                report.recoveryMillis.add(recovery);
                long lost = check(control, clients, reader);
                report.lostAcknowledgedBytes += Math.max(0, lost);
                lostDuringRun += Math.max(0, lost);
                Map<String, Long> errnosNow = errnos(clients);
                errnosNow.forEach((e, v) -> {
                    long d = v - errnosBefore.getOrDefault(e, 0L);
                    if (d > 0) {
                        report.errnos.merge(e, d, Long::sum);
                    }
                });
                report.longestCallMillis = Math.max(report.longestCallMillis,
                        clients.stream().mapToLong(c -> c.longestCallMillis.get()).max().orElse(0));
                out.printf("[%d/%d] %s: fired; %s serving again %.1f s later; %s%n", n, options.schedule().size(),
                        crash.point(), crash.service(), recovery / 1e3, lost < 0 ? "files not readable back"
                                : lost + " acknowledged bytes lost");
            }
            return finish(control, threads, clients, points, json, lostDuringRun, true);
        } finally {
            control.stop();
        }
    }

    /** Pauses the clients, reads every file back and holds it to its ledger: the acknowledged bytes lost, or -1. */
    private long check(ChaosControl control, List<ChaosClient> clients, Gateway reader) {
        if (!control.quiesce(Duration.ofSeconds(90))) {
            control.resume();
            return -1;
        }
        try {
            long lost = 0;
            for (ChaosClient c : clients) {
                for (ChaosClient.File f : c.files()) {
                    byte[] found = reader.readFile(f.path());
                    if (found == null) {
                        return -1;
                    }
                    long l = f.ledger().lostAcknowledged(found);
                    if (l > 0) {
                        out.printf("  %s (%s): %d acknowledged bytes lost; %s%n", f.path(), f.durability(), l,
                                f.ledger().describeLoss(found));
                    }
                    lost += l;
                }
            }
            return lost;
        } finally {
            control.resume();
        }
    }

    private int finish(ChaosControl control, List<Thread> threads, List<ChaosClient> clients,
                       Map<String, PointReport> points, Path json, long lostDuringRun, boolean completed) throws Exception {
        control.stop();
        for (Thread t : threads) {
            t.join(Duration.ofMinutes(2));
        }
        long operations = clients.stream().mapToLong(c -> c.operations.get()).sum();
        long durable = durableCalls(clients);
        out.printf("workload: %d clients, %d operations, %d acknowledged durability calls; stopping the stack cleanly%n",
                clients.size(), operations, durable);
        int down = stack.down();
        E2fsprogs.Result fsck = e2fsprogs.fsck(stack.image());
        long lostOnImage = 0;
        long differOnImage = 0;
        int files = 0;
        for (ChaosClient c : clients) {
            for (ChaosClient.File f : c.files()) {
                byte[] onDisk = e2fsprogs.cat(stack.image(), f.path());
                files++;
                long l = f.ledger().lostAcknowledged(onDisk);
                if (l > 0) {
                    out.printf("  on the image, %s (%s): %d acknowledged bytes lost; %s%n", f.path(), f.durability(), l,
                            f.ledger().describeLoss(onDisk));
                }
                lostOnImage += l;
                if (!f.ledger().uncertain()) {
                    differOnImage += f.ledger().differsFromModel(onDisk);
                }
            }
        }
        boolean ok = completed && down == 0 && fsck.exit() == 0 && lostDuringRun == 0 && lostOnImage == 0
                && differOnImage == 0;
        ChaosReport.print(out, points, fsck, files, lostOnImage, differOnImage, ok);
        if (json != null) {
            ChaosReport.writeJson(json, options, points, operations, durable, fsck, lostDuringRun, lostOnImage,
                    differOnImage, ok);
            out.println("report: " + json);
        }
        return ok ? 0 : 1;
    }

    private static long durableCalls(List<ChaosClient> clients) {
        return clients.stream().mapToLong(c -> c.durableCalls.get()).sum();
    }

    private static Map<String, Long> errnos(List<ChaosClient> clients) {
        Map<String, Long> all = new TreeMap<>();
        clients.forEach(c -> c.errnos.forEach((e, v) -> all.merge(e, v, Long::sum)));
        return all;
    }

    /** Polls {@code condition} every 50 ms until {@code atMost}. */
    private static boolean awaitQuietly(Duration atMost, java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50); // polling pace of a process table and a counter, each with a deadline
        }
        return true;
    }
}
