package dev.ext4sim.launcher;

import dev.ext4sim.ondisk.ext4.Mkfs;
import dev.ext4sim.ondisk.ext4.MkfsOptions;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** The commands of ./ext4sim that manage processes: up, down, status, kill, start. */
public final class Stack {
    static final Duration READY_DEADLINE = Duration.ofSeconds(180);

    private final Settings settings;
    private final Supervisor supervisor;
    private final PrintStream out;

    public Stack(Settings settings, PrintStream out) {
        this.settings = settings;
        this.supervisor = new Supervisor(settings);
        this.out = out;
    }

    /** Starts whatever is not running, the broker and the services at once, and waits until all are healthy. */
    public int up() throws IOException, InterruptedException {
        List<Component> missingJars = Component.SERVICES.stream().filter(c -> !Files.exists(settings.jar(c))).toList();
        if (!missingJars.isEmpty()) {
            out.println("ext4sim: " + settings.jar(missingJars.getFirst()) + " is missing; build it with ./ext4sim up"
                    + " (which runs the build) or ./mvnw -DskipTests package");
            return 1;
        }
        formatDiskIfMissing();
        new StartupCache(settings, out).prepare(Component.SERVICES);
        long began = System.nanoTime();
        boolean fresh = Component.supervised().stream().noneMatch(c -> supervisor.running(c).isPresent());
        if (fresh) {
            settings.recordPorts();
        }
        long boot = bootEpochNanos(fresh);
        List<Component> started = new ArrayList<>();
        out.printf("starting in %s (logs: %s)%n", settings.home(), settings.logs());
        // The broker first, alone: on two cores, six JVMs starting beside it slow it tenfold, and nothing is
        // ready before it is.
        startAll(List.of(Component.KAFKA), boot, started);
        boolean healthy = awaitHealthy(List.of(Component.KAFKA), began);
        if (healthy) {
            startAll(Component.SERVICES, boot, started);
            healthy = awaitHealthy(Component.SERVICES, began);
        }
        if (!healthy) {
            out.println("ext4sim: the stack did not come up; what was started is stopped again. Read the logs named"
                    + " above, then run ./ext4sim up again.");
            for (Component c : started.reversed()) {
                supervisor.stop(c, Duration.ofSeconds(5));
            }
            return 1;
        }
        startPrometheus(boot);
        double seconds = (System.nanoTime() - began) / 1e9;
        long processes = Component.supervised().stream().filter(c -> supervisor.running(c).isPresent()).count();
        out.printf("%nready in %.1f s; %d processes, %d MiB resident in all%n", seconds, processes, totalRssKiB() / 1024);
        printUrls();
        return 0;
    }

    /** The disk blockdev serves is a real ext4 filesystem from the first start on, as mke2fs would leave it. */
    private void formatDiskIfMissing() throws IOException {
        Path image = settings.image();
        if (Files.exists(image)) {
            return;
        }
        Files.createDirectories(image.getParent());
        MkfsOptions options = MkfsOptions.defaults();
        Mkfs.format(image, options);
        out.printf("formatted %s: ext4, %d MiB (./ext4sim mkfs --force makes a new one while the stack is down)%n",
                image, options.sizeBytes() >> 20);
    }

    private void startAll(List<Component> components, long boot, List<Component> started) throws IOException {
        for (Component c : components) {
            Optional<ProcessHandle> running = supervisor.running(c);
            if (running.isPresent()) {
                out.printf("  %-18s already running (pid %d)%n", c.name(), running.get().pid());
            } else {
                supervisor.spawn(c, boot);
                started.add(c);
            }
        }
    }

    /**
     * After the services, which it scrapes: where a prometheus program is installed and EXT4SIM_PROMETHEUS is not
     * off. Its trouble is printed and leaves the stack running, as the stack serves without it.
     */
    private void startPrometheus(long boot) throws IOException, InterruptedException {
        if (!prometheusWanted()) {
            return;
        }
        Optional<ProcessHandle> running = supervisor.running(Component.PROMETHEUS);
        if (running.isPresent()) {
            out.printf("  %-18s already running (pid %d)%n", Component.PROMETHEUS.name(), running.get().pid());
        } else if (!spawnPrometheus(boot)) {
            out.println("  the stack runs without Prometheus; its metrics are still at /actuator/prometheus");
        }
    }

    /** Where its binary is installed and the stack was started with a port for it. */
    private boolean prometheusWanted() {
        return settings.prometheusPort() > 0 && Prometheus.binary().isPresent();
    }

    /** Renders its configuration for this stack's ports, starts it and waits until it is ready; false if not. */
    private boolean spawnPrometheus(long boot) throws IOException, InterruptedException {
        Component c = Component.PROMETHEUS;
        // a taken port would only make it exit; on 9090 the taker is likely the Prometheus Debian's package starts
        try {
            new ServerSocket(settings.port(c), 1, InetAddress.getLoopbackAddress()).close();
        } catch (IOException e) {
            out.printf("  %-18s not started: port %d is taken%s; choose another with EXT4SIM_PROMETHEUS_PORT%n", c.name(),
                    settings.port(c), settings.port(c) == 9090
                            ? " (by Debian's prometheus service? sudo systemctl disable --now prometheus)" : "");
            return false;
        }
        try {
            Prometheus.writeConfig(settings);
        } catch (IOException e) {
            out.printf("  %-18s not started: no configuration for it (%s)%n", c.name(), e);
            return false;
        }
        supervisor.spawn(c, boot);
        if (!awaitHealthy(List.of(c), System.nanoTime())) {
            supervisor.stop(c, Duration.ofSeconds(5));
            return false;
        }
        return true;
    }

    /**
     * Starts the watchdog process, which starts again whatever dies ({@link Watchdog}); `up` does, unless
     * EXT4SIM_WATCHDOG=off. Stopped by {@link #down} before anything else.
     */
    public int startWatchdog() throws IOException {
        Optional<ProcessHandle> running = Supervisor.running(watchdogPidFile());
        if (running.isPresent()) {
            out.printf("  %-18s already running (pid %d)%n", "watchdog", running.get().pid());
            return 0;
        }
        List<String> cmd = new ArrayList<>();
        if (new File("/usr/bin/setsid").canExecute()) {
            cmd.add("/usr/bin/setsid");
        }
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                Supervisor.HOME_MARK + settings.home(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx48m",
                "-Xss512k", "-cp", System.getProperty("java.class.path"), WatchdogMain.class.getName(),
                settings.root().toString()));
        Files.createDirectories(settings.logs());
        Files.createDirectories(settings.run());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(settings.home().toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(settings.logs().resolve("watchdog.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("EXT4SIM_HOME", settings.home().toString());
        ProcessHandle h = pb.start().toHandle();
        Files.writeString(watchdogPidFile(), h.pid() + " " + h.info().startInstant().map(Instant::toEpochMilli).orElse(0L) + "\n");
        out.printf("  %-18s starts again what dies (pid %d, log %s)%n", "watchdog", h.pid(),
                settings.home().relativize(settings.logs().resolve("watchdog.log")));
        return 0;
    }

    private boolean stopWatchdog() {
        Optional<ProcessHandle> running = Supervisor.running(watchdogPidFile());
        running.ifPresent(h -> {
            h.destroy();
            try {
                h.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
                h.onExit().join();
            }
        });
        try {
            Files.deleteIfExists(watchdogPidFile());
        } catch (IOException ignored) {
            // a later up writes it again
        }
        return running.isPresent();
    }

    private Path watchdogPidFile() {
        return settings.run().resolve("watchdog.pid");
    }

    public int down() {
        // first, or it would start again what is being stopped
        if (stopWatchdog()) {
            out.printf("  %-18s stopped%n", "watchdog");
        }
        List<Component> services = Component.SERVICES;
        Map<Component, Boolean> stopped = new ConcurrentHashMap<>();
        // Prometheus first: stopped after its targets, it would record them down and fire alerts on the way out
        boolean prometheus = supervisor.stop(Component.PROMETHEUS, Duration.ofSeconds(10));
        // ext4 and the services above it first: ext4's unmount (sync, journal flush, needs_recovery off) needs jbd2
        // and blockdev still running
        int ext4 = services.indexOf(Component.byName("ext4-service").orElseThrow());
        for (List<Component> wave : List.of(services.subList(0, ext4 + 1), services.subList(ext4 + 1, services.size()))) {
            try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (Component c : wave) {
                    threads.execute(() -> stopped.put(c, supervisor.stop(c, Duration.ofSeconds(15))));
                }
            }
        }
        stopped.put(Component.KAFKA, supervisor.stop(Component.KAFKA, Duration.ofSeconds(20)));
        if (prometheus || prometheusWanted()) {
            out.printf("  %-18s %s%n", Component.PROMETHEUS.name(), prometheus ? "stopped" : "was not running");
        }
        for (Component c : Component.all()) {
            out.printf("  %-18s %s%n", c.name(), stopped.get(c) ? "stopped" : "was not running");
        }
        for (ProcessHandle stray : supervisor.strays()) {
            out.printf("  killing stray process %d of this stack (%s)%n", stray.pid(),
                    stray.info().commandLine().orElse("?"));
            stray.destroyForcibly();
            stray.onExit().join();
        }
        return 0;
    }

    public int status() {
        Map<String, Watchdog.Record> restarts = WatchdogMain.read(settings);
        out.printf("%-18s %-8s %-7s %-12s %-9s %s%n", "NAME", "PID", "PORT", "HEALTH", "RESTARTS", "LOG");
        boolean allUp = true;
        for (Component c : Component.supervised()) {
            Optional<ProcessHandle> h = supervisor.running(c);
            String health = h.isPresent() ? Health.of(settings, c) : "stopped";
            if (c.kind() == Component.Kind.PROMETHEUS && h.isEmpty() && !prometheusWanted()) {
                // optional: its absence is no failure of the stack
                health = settings.prometheusPort() == 0 ? "off" : "not on PATH";
            } else {
                allUp &= "UP".equals(health);
            }
            Watchdog.Record r = restarts.get(c.name());
            String restarted = r == null ? "-" : r.gaveUp() ? r.restarts() + " (gave up)" : String.valueOf(r.restarts());
            out.printf("%-18s %-8s %-7s %-12s %-9s %s%n", c.name(), h.map(p -> String.valueOf(p.pid())).orElse("-"),
                    settings.port(c) > 0 ? settings.port(c) : "-", health, restarted,
                    settings.home().relativize(settings.log(c)));
        }
        out.println(AdminToken.read(settings).map(t -> "admin token " + t + " (" + AdminToken.file(settings)
                + "): send it as Authorization: Bearer TOKEN to the admin calls").orElse("admin token: none yet (up makes it)"));
        Optional<ProcessHandle> watchdog = Supervisor.running(watchdogPidFile());
        out.println(watchdog.map(h -> "watchdog pid " + h.pid() + ": starts again what dies"
                        + restarts.entrySet().stream().filter(e -> e.getValue().lastRecoveryMillis() >= 0)
                        .map(e -> String.format("; %s last served again %.1f s after it died", e.getKey(),
                                e.getValue().lastRecoveryMillis() / 1e3)).reduce("", String::concat))
                .orElse("watchdog not running: a process that dies stays down until ./ext4sim start"));
        return allUp ? 0 : 1;
    }

    public int kill(String name) {
        Optional<Component> c = known(name);
        if (c.isEmpty()) {
            return 2;
        }
        Optional<Long> pid = supervisor.kill(c.get());
        if (pid.isEmpty()) {
            out.println("ext4sim: " + name + " is not running; nothing to kill (./ext4sim status shows what runs)");
            return 1;
        }
        out.println("killed " + name + " (pid " + pid.get() + ") with SIGKILL; " + (Supervisor.running(watchdogPidFile()).isPresent()
                ? "the watchdog starts it again (./ext4sim status counts its restarts)"
                : "start it again with ./ext4sim start " + name));
        return 0;
    }

    public int start(String name) throws IOException, InterruptedException {
        Optional<Component> c = known(name);
        if (c.isEmpty()) {
            return 2;
        }
        if (supervisor.running(c.get()).isPresent()) {
            out.println(name + " is already running (pid " + supervisor.running(c.get()).get().pid() + ")");
            return 0;
        }
        if (c.get().kind() == Component.Kind.PROMETHEUS) {
            if (!prometheusWanted()) {
                out.println(settings.prometheusPort() == 0 ? "ext4sim: the stack was started with EXT4SIM_PROMETHEUS=off"
                        : "ext4sim: no prometheus program is installed; apt-get install prometheus adds it");
                return 1;
            }
            return spawnPrometheus(bootEpochNanos(false)) ? 0 : 1;
        }
        long began = System.nanoTime();
        supervisor.spawn(c.get(), bootEpochNanos(false));
        return awaitHealthy(List.of(c.get()), began) ? 0 : 1;
    }

    private Optional<Component> known(String name) {
        Optional<Component> c = Component.byName(name);
        if (c.isEmpty()) {
            out.println("ext4sim: no service named '" + name + "'; the names are " + String.join(", ", Component.names()));
        }
        return c;
    }

    /** Polls every process's health until all are UP, printing each as it comes up; false on a death or timeout. */
    private boolean awaitHealthy(List<Component> components, long began) throws InterruptedException {
        Set<Component> pending = new LinkedHashSet<>(components);
        long deadline = began + READY_DEADLINE.toNanos();
        while (!pending.isEmpty()) {
            for (Component c : List.copyOf(pending)) {
                if (supervisor.running(c).isEmpty()) {
                    out.printf("  %-18s exited while starting; last lines of %s:%n", c.name(), settings.log(c));
                    tail(settings.log(c), 15).forEach(l -> out.println("    " + l));
                    return false;
                }
                if ("UP".equals(Health.of(settings, c))) {
                    pending.remove(c);
                    out.printf("  %-18s up after %4.1f s  (pid %d, port %d)%n", c.name(),
                            (System.nanoTime() - began) / 1e9, supervisor.running(c).map(ProcessHandle::pid).orElse(-1L),
                            settings.port(c));
                }
            }
            if (System.nanoTime() > deadline) {
                out.println("  still not healthy after " + READY_DEADLINE.toSeconds() + " s: " + pending.stream()
                        .map(Component::name).toList() + "; see their logs in " + settings.logs());
                return false;
            }
            if (!pending.isEmpty()) {
                Thread.sleep(150); // polling pace of a health check that has its own deadline
            }
        }
        return true;
    }

    private void printUrls() {
        int gw = settings.port(Component.SERVICES.getFirst());
        out.println();
        out.println("  REST API     http://127.0.0.1:" + gw + "/v1   (try: curl http://127.0.0.1:" + gw + "/v1/ping)");
        out.println("  Swagger UI   http://127.0.0.1:" + gw + "/swagger-ui.html");
        out.println("  trace        http://127.0.0.1:" + gw + "/v1/trace");
        out.println("  metrics      " + String.join("  ", Component.SERVICES.stream()
                .map(c -> "http://127.0.0.1:" + settings.port(c) + "/actuator/prometheus").toList()));
        out.println("  Kafka        " + settings.bootstrap());
        if (supervisor.running(Component.PROMETHEUS).isPresent()) {
            String url = "http://127.0.0.1:" + settings.port(Component.PROMETHEUS);
            Path grafana = settings.root().resolve("observability").resolve("grafana");
            out.println("  Prometheus   " + url + "   (config: " + Prometheus.config(settings) + ")");
            out.println("  Grafana      yours, with EXT4SIM_PROMETHEUS_URL=" + url + " and the provisioning folder "
                    + grafana.resolve("provisioning") + " (dashboards: " + grafana.resolve("dashboards") + ")");
        } else if (settings.prometheusPort() > 0 && Prometheus.binary().isEmpty()) {
            out.println("  Prometheus   not installed: metrics are still at /actuator/prometheus above; apt-get install"
                    + " prometheus adds the local Prometheus to ./ext4sim up");
        }
        out.println("  stop with    ./ext4sim down");
    }

    private long bootEpochNanos(boolean fresh) throws IOException {
        Path file = settings.run().resolve("boot");
        if (!fresh && Files.exists(file)) {
            try {
                return Long.parseLong(Files.readString(file).trim());
            } catch (NumberFormatException ignored) {
                // rewritten below
            }
        }
        Instant now = Instant.now();
        long boot = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        Files.createDirectories(settings.run());
        Files.writeString(file, boot + "\n");
        return boot;
    }

    /** The running processes of the stack by component name, broker first (for benchmarks that read their CPU time). */
    public Map<String, ProcessHandle> processes() {
        Map<String, ProcessHandle> running = new LinkedHashMap<>();
        for (Component c : Component.all()) {
            supervisor.running(c).ifPresent(h -> running.put(c.name(), h));
        }
        return running;
    }

    long totalRssKiB() {
        long total = 0;
        for (Component c : Component.supervised()) {
            Optional<ProcessHandle> h = supervisor.running(c);
            if (h.isPresent()) {
                total += rssKiB(h.get().pid());
            }
        }
        return total;
    }

    static long rssKiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // not on Linux, or the process just exited
        }
        return 0;
    }

    private static List<String> tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of("(no log: " + e.getMessage() + ")");
        }
    }

    Supervisor supervisor() {
        return supervisor;
    }
}
