package dev.ext4sim.launcher.chaos;

import java.io.PrintStream;
import dev.ext4sim.launcher.Component;
import java.io.IOException;
import java.nio.file.Files;
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

        /**
         * Stops the process of {@code service} (SIGSTOP) for {@code d}, then lets it go on (SIGCONT): a broker that does
         * not answer for a while. False when it does not run.
         */
        boolean stopFor(String service, Duration d);

        /** While held, the watchdog starts nothing again. */
        void holdRestarts(boolean hold);

        /** Stops the stack cleanly (unmount, flush); 0 on success. */
        int down();

        Path image();
    }

    /** One crash to make: a point of a service. */
    public record Crash(String service, String point) {
    }

    /**
     * @param brokerStop  how long the broker stays stopped at {@link #BROKER_STOPPED}
     * @param crashImages where the images of power cuts are copied (and kept when a replay check fails)
     */
    public record Options(int clients, long seed, List<Crash> schedule, Duration waitForPoint, Duration brokerStop,
                          Path crashImages) {
    }


    /** The broker's outage: its process stopped for {@link Options#brokerStop}, then continued. */
    public static final String BROKER = "kafka";
    public static final String BROKER_STOPPED = "kafka.stopped";

    /** The outcome per point. */
    public static final class PointReport {
        public int fired;
        public int notReached;
        public final List<Long> recoveryMillis = new ArrayList<>();
        public long lostAcknowledgedBytes;
        public final Map<String, Long> errnos = new TreeMap<>();
        public long longestCallMillis;
        public int replayChecks;
        public int replayDisagreements;
        /** Recoveries after which the files could not be read back and held to the ledger. */
        public int unchecked;
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
                    "/chaos-" + runId + "-" + i, control, out::println);
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
                if (crash.service().equals(BROKER)) {
                    long resumed = brokerOutage(n, crash, report);
                    if (resumed < 0) {
                        continue;
                    }
                    long before = durableCalls(clients);
                    // serving again: the clients' durability calls go through once more
                    boolean back = awaitQuietly(Duration.ofMinutes(3), () -> durableCalls(clients) > before);
                    long recovery = (System.nanoTime() - resumed) / 1_000_000;
                    report.fired++;
                    if (!back) {
                        out.printf("[%d/%d] %s: no durability call succeeded within 3 min of the broker going on;"
                                + " stopping (see the services' logs)%n", n, options.schedule().size(), crash.point());
                        clients.forEach(c -> c.files().forEach(f -> f.ledger().unacknowledgedMayBeLost()));
                        return finish(control, threads, clients, points, json, lostDuringRun, false);
                    }
                    lostDuringRun += afterRecovery(n, crash, report, recovery, control, clients, reader, errnosBefore,
                            "the clients' durability calls succeed again");
                    continue;
                }
                long pid = stack.pid(crash.service());
                Map<String, Long> withIt = new LinkedHashMap<>();
                for (String s : goDownWith(crash.service())) {
                    withIt.put(s, stack.pid(s));
                }
                boolean powerCut = !withIt.isEmpty();
                Path crashImage = null;
                long diedAt;
                // a power cut leaves the platter as the crash left it until blockdev starts again: copied meanwhile
                stack.holdRestarts(powerCut);
                try {
                    // a point reached at once may kill the service before its answer to the arming leaves: a failed
                    // arming is a refusal only if the process lives on
                    if (pid < 0 || (!stack.arm(crash.service(), crash.point())
                            && !awaitQuietly(Duration.ofSeconds(5), () -> stack.pid(crash.service()) != pid))) {
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
                    if (powerCut) {
                        crashImage = copyCrashImage(n, crash);
                    }
                } finally {
                    stack.holdRestarts(false);
                    // a power cut's recovery counts from here: the copy is the run's own delay
                    diedAt = System.nanoTime();
                }
                if (!crash.service().equals("jbd2-service")) {
                    // ext4's page cache or the device's cache went with it: what was not acknowledged may be gone
                    clients.forEach(c -> c.files().forEach(f -> f.ledger().unacknowledgedMayBeLost()));
                }
                // a device power cut takes ext4 and jbd2 down at their next I/O: serving again means all of them
                boolean back = awaitQuietly(Duration.ofMinutes(3),
                        () -> stack.pid(crash.service()) > 0 && stack.healthy(crash.service())
                                && withIt.entrySet().stream().allMatch(e -> {
                                    long now = stack.pid(e.getKey());
                                    return now > 0 && now != e.getValue() && stack.healthy(e.getKey());
                                }));
                long recovery = (System.nanoTime() - diedAt) / 1_000_000;
                report.fired++;
                if (!back) {
                    // stopped with a service down, the clean stop cannot write everything: no exact check
                    clients.forEach(c -> c.files().forEach(f -> f.ledger().unacknowledgedMayBeLost()));
                    out.printf("[%d/%d] %s: %s did not serve again within 3 min (is the watchdog running? ./ext4sim "
                            + "status); stopping%n", n, options.schedule().size(), crash.point(), crash.service());
                    return finish(control, threads, clients, points, json, lostDuringRun, false);
                }
                lostDuringRun += afterRecovery(n, crash, report, recovery, control, clients, reader, errnosBefore,
                        crash.service() + (withIt.isEmpty() ? "" : " and " + String.join(" and ", withIt.keySet()))
                                + " serving again");
                if (crashImage != null) {
                    replayCheck(n, crash, report, crashImage);
                }
            }
            return finish(control, threads, clients, points, json, lostDuringRun, true);
        } finally {
            control.stop();
        }
    }

    /** The image as the power cut left it, copied while nothing writes it; null when the copy failed. */
    private Path copyCrashImage(int n, Crash crash) {
        try {
            Files.createDirectories(options.crashImages());
            Path copy = options.crashImages().resolve("crash-" + n + "-" + crash.point() + ".img");
            e2fsprogs.copySparse(stack.image(), copy);
            return copy;
        } catch (IOException e) {
            out.printf("[%d/%d] %s: the image could not be copied (%s); no replay check%n", n,
                    options.schedule().size(), crash.point(), e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** e2fsck's journal replay against ours on the crash image; the image is kept when they disagree. */
    private void replayCheck(int n, Crash crash, PointReport report, Path crashImage) {
        try {
            ReplayCheck.Result r = new ReplayCheck(e2fsprogs).check(crashImage);
            report.replayChecks++;
            if (r.agree()) {
                Files.deleteIfExists(crashImage);
            } else {
                report.replayDisagreements++;
            }
            out.printf("[%d/%d] %s: the image at the power cut: %s%s%n", n, options.schedule().size(), crash.point(),
                    r.summary(), r.agree() ? "" : "; kept as " + crashImage);
            if (r.fsckOurs().exit() != 0) {
                out.println(r.fsckOurs().output());
            }
        } catch (IOException | RuntimeException e) {
            report.replayChecks++;
            report.replayDisagreements++;
            out.printf("[%d/%d] %s: the replay check of %s failed: %s%n", n, options.schedule().size(), crash.point(),
                    crashImage, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the broker for the outage; the nanoTime it went on, or -1 when it does not run. */
    private long brokerOutage(int n, Crash crash, PointReport report) {
        out.printf("[%d/%d] %s: the broker stopped for %d s%n", n, options.schedule().size(), crash.point(),
                options.brokerStop().toSeconds());
        if (!stack.stopFor(BROKER, options.brokerStop())) {
            out.printf("[%d/%d] %s: the broker does not run; skipped%n", n, options.schedule().size(), crash.point());
            report.notReached++;
            return -1;
        }
        return System.nanoTime();
    }

    /** After a recovery: the check, the clients' errnos and longest call, the line of progress; the bytes lost. */
    private long afterRecovery(int n, Crash crash, PointReport report, long recovery, ChaosControl control,
                               List<ChaosClient> clients, Gateway reader, Map<String, Long> errnosBefore, String what) {
        report.recoveryMillis.add(recovery);
        long lost = check(control, clients, reader);
        // and what the clients found lost when they opened their files again on a new mount
        long lostAtReopen = clients.stream().mapToLong(c -> c.lostAtReopen.getAndSet(0)).sum();
        long total = Math.max(0, lost) + lostAtReopen;
        report.lostAcknowledgedBytes += total;
        if (lost < 0) {
            report.unchecked++; // the verdict cannot pass over a recovery nobody checked
        }
        errnos(clients).forEach((e, v) -> {
            long d = v - errnosBefore.getOrDefault(e, 0L);
            if (d > 0) {
                report.errnos.merge(e, d, Long::sum);
            }
        });
        report.longestCallMillis = Math.max(report.longestCallMillis,
                clients.stream().mapToLong(c -> c.longestCallMillis.get()).max().orElse(0));
        out.printf("[%d/%d] %s: fired; %s %.1f s later; %s%n", n, options.schedule().size(), crash.point(), what,
                recovery / 1e3, lost < 0 ? "files not readable back (unchecked: the verdict fails)"
                        : total + " acknowledged bytes lost");
        return total;
    }

    /** The services a crash of {@code service} takes down with it (a power cut: {@link Component#goDownWith}). */
    static List<String> goDownWith(String service) {
        return Component.byName(service).map(c -> c.goDownWith().stream().map(Component::name).toList()).orElse(List.of());
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
                    String where = f.ledger().describeLoss(found);
                    long l = f.ledger().takeLost(found);
                    if (l > 0) {
                        out.printf("  %s (%s): %d acknowledged bytes lost; %s%n", f.path(), f.durability(), l, where);
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
        // losses found by a client opening a file again after the last check
        lostDuringRun += clients.stream().mapToLong(c -> c.lostAtReopen.getAndSet(0)).sum();
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
                && differOnImage == 0
                && points.values().stream().allMatch(r -> r.replayDisagreements == 0 && r.unchecked == 0);
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
