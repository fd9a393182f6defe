package dev.ext4sim.launcher;

import dev.ext4sim.launcher.chaos.ChaosRun;
import dev.ext4sim.launcher.chaos.E2fsprogs;
import dev.ext4sim.launcher.chaos.PowerCutSweep;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./ext4sim chaos}: the running stack, its watchdog, and a {@link ChaosRun} over the crash points of jbd2, ext4
 * and blockdev and the broker's outage (all of them in turn with --sweep, or --crashes picked at random).
 */
final class ChaosCommand {
    static final String USAGE = "usage: ./ext4sim chaos [--clients N] [--sweep [--each N] | --crashes N] [--services "
            + "jbd2-service,ext4-service,blockdev-service,kafka] [--seed S] [--json FILE] [--wait-for-point SECONDS]"
            + " [--broker-stop SECONDS]\n       ./ext4sim chaos --power-cut-sweep [--ops N] [--seed S] [--json FILE]";
    private static final Pattern NAME = Pattern.compile("\"name\":\"([^\"]+)\"");

    private final Settings settings;
    private final PrintStream out;

    ChaosCommand(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    int run(List<String> args) throws Exception {
        int clients = 4;
        int crashes = 10;
        int each = 1;
        boolean sweep = false;
        long seed = System.currentTimeMillis() % 100_000;
        int waitForPoint = 60;
        int brokerStop = 5;
        Path json = settings.home().resolve("chaos-report.json");
        List<String> services = List.of("jbd2-service", "ext4-service", "blockdev-service", ChaosRun.BROKER);
        boolean powerCutSweep = false;
        int ops = 200;
        try {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--sweep" -> sweep = true;
                    case "--power-cut-sweep" -> powerCutSweep = true;
                    case "--ops" -> ops = positive(args.get(++i));
                    case "--clients" -> clients = positive(args.get(++i));
                    case "--crashes" -> crashes = positive(args.get(++i));
                    case "--each" -> each = positive(args.get(++i));
                    case "--seed" -> seed = Long.parseLong(args.get(++i));
                    case "--json" -> json = Path.of(args.get(++i)).toAbsolutePath();
                    case "--wait-for-point" -> waitForPoint = positive(args.get(++i));
                    case "--broker-stop" -> brokerStop = positive(args.get(++i));
                    case "--services" -> services = List.of(args.get(++i).split(","));
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            out.println("ext4sim: " + (e.getMessage() == null ? "an option lacks its value" : e.getMessage()) + "\n" + USAGE);
            return 2;
        }
        for (String s : services) {
            if (Component.byName(s).filter(c -> c.service() || c == Component.KAFKA).isEmpty()) {
                out.println("ext4sim: no service named '" + s + "'\n" + USAGE);
                return 2;
            }
        }
        Stack stack = new Stack(settings, out);
        if (!"UP".equals(Health.of(settings, Component.SERVICES.getFirst()))) {
            out.println("ext4sim: the stack is not up; start it with ./ext4sim up, then run chaos");
            return 1;
        }
        if (powerCutSweep) {
            out.println("chaos: the power cuts are made from the device's write log; the stack stays up and unharmed");
            return new PowerCutSweep(settings.port(Component.SERVICES.getFirst()), new DeviceLog(),
                    new PowerCutSweep.Options(ops, seed, settings.home().resolve("chaos")), out, new E2fsprogs())
                    .run(json);
        }
        stack.startWatchdog(); // the crashed services must come back by themselves
        ChaosRun.Stack target = new Target(stack);
        List<ChaosRun.Crash> all = new ArrayList<>();
        for (String s : services) {
            for (String p : target.crashPoints(s)) {
                all.add(new ChaosRun.Crash(s, p));
            }
        }
        if (all.isEmpty()) {
            out.println("ext4sim: no crash point answered; is the admin token there? ./ext4sim status");
            return 1;
        }
        List<ChaosRun.Crash> schedule = new ArrayList<>();
        Random random = new Random(seed);
        if (sweep) {
            for (int i = 0; i < each; i++) {
                schedule.addAll(all);
            }
        } else {
            for (int i = 0; i < crashes; i++) {
                schedule.add(all.get(random.nextInt(all.size())));
            }
        }
        out.printf("chaos: %d clients, %d crashes (%s), seed %d; the stack is stopped at the end and its image checked%n",
                clients, schedule.size(), sweep ? "every point " + each + " time(s)" : "random points", seed);
        return new ChaosRun(target, new ChaosRun.Options(clients, seed, schedule, Duration.ofSeconds(waitForPoint),
                Duration.ofSeconds(brokerStop), settings.home().resolve("chaos")), out, new E2fsprogs()).run(json);
    }

    private static int positive(String s) {
        int v = Integer.parseInt(s);
        if (v < 1) {
            throw new IllegalArgumentException(s + " is not a positive number");
        }
        return v;
    }

    /** blockdev-service's write log through its admin API (/v1/blockdev/log-writes), with the token. */
    private final class DeviceLog implements PowerCutSweep.Device {
        private static final Pattern BASE = Pattern.compile("\"base\":\"([^\"]+)\"");
        private static final Pattern LOG = Pattern.compile("\"log\":\"([^\"]+)\"");

        @Override
        public PowerCutSweep.LogFiles start() throws java.io.IOException {
            String body = call(HttpRequest.newBuilder(uri("")).POST(HttpRequest.BodyPublishers.noBody()), "start");
            Matcher base = BASE.matcher(body);
            Matcher log = LOG.matcher(body);
            if (!base.find() || !log.find()) {
                throw new java.io.IOException("blockdev-service answered the log's start without its files: " + body);
            }
            return new PowerCutSweep.LogFiles(Path.of(base.group(1)), Path.of(log.group(1)));
        }

        @Override
        public void mark(String text) throws java.io.IOException {
            call(HttpRequest.newBuilder(uri("/mark")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"mark\":\"" + text + "\"}")), "mark");
        }

        @Override
        public void stop() throws java.io.IOException {
            call(HttpRequest.newBuilder(uri("")).DELETE(), "stop");
        }

        private URI uri(String suffix) {
            return URI.create("http://127.0.0.1:" + settings.port(Component.byName("blockdev-service").orElseThrow())
                    + "/v1/blockdev/log-writes" + suffix);
        }

        private String call(HttpRequest.Builder request, String what) throws java.io.IOException {
            HttpResponse<String> r = AdminCall.send(settings, request, Duration.ofSeconds(60)).orElseThrow(() -> new java.io.IOException(
                    "blockdev-service did not answer the write log's " + what + "; is it up? ./ext4sim status"));
            if (r.statusCode() / 100 != 2) {
                throw new java.io.IOException("blockdev-service refused the write log's " + what + " (HTTP "
                        + r.statusCode() + "): " + r.body());
            }
            return r.body();
        }
    }

    /** The launcher's side of a chaos run: ports, pid files, health, the admin calls with the token. */
    private final class Target implements ChaosRun.Stack {
        private final Stack stack;
        private final Supervisor supervisor = new Supervisor(settings);

        Target(Stack stack) {
            this.stack = stack;
        }

        @Override
        public int gatewayPort() {
            return settings.port(Component.SERVICES.getFirst());
        }

        @Override
        public List<String> crashPoints(String service) {
            if (service.equals(ChaosRun.BROKER)) {
                return pid(service) > 0 ? List.of(ChaosRun.BROKER_STOPPED) : List.of();
            }
            List<String> names = new ArrayList<>();
            admin(service, HttpRequest.newBuilder(uri(service)).GET()).ifPresent(body -> {
                Matcher m = NAME.matcher(body);
                while (m.find()) {
                    names.add(m.group(1));
                }
            });
            return names;
        }

        @Override
        public boolean arm(String service, String point) {
            return admin(service, HttpRequest.newBuilder(uri(service)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"point\":\"" + point + "\",\"nth\":1}"))).isPresent();
        }

        @Override
        public void disarmAll(String service) {
            admin(service, HttpRequest.newBuilder(uri(service)).DELETE());
        }

        @Override
        public long pid(String service) {
            return supervisor.running(Component.byName(service).orElseThrow()).map(ProcessHandle::pid).orElse(-1L);
        }

        @Override
        public boolean healthy(String service) {
            return "UP".equals(Health.of(settings, Component.byName(service).orElseThrow()));
        }

        @Override
        public boolean stopFor(String service, Duration d) {
            long pid = pid(service);
            if (pid < 0) {
                return false;
            }
            // a chaos run stopped by ^C must not leave the broker stopped
            Thread goOn = new Thread(() -> signal("CONT", pid));
            Runtime.getRuntime().addShutdownHook(goOn);
            try {
                if (!signal("STOP", pid)) {
                    return false;
                }
                Thread.sleep(d); // the outage itself: the broker stays stopped this long
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                signal("CONT", pid);
                Runtime.getRuntime().removeShutdownHook(goOn);
            }
            return true;
        }

        private boolean signal(String name, long pid) {
            try {
                Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).redirectErrorStream(true).start();
                return kill.waitFor() == 0;
            } catch (java.io.IOException e) {
                out.println("chaos: kill -" + name + " " + pid + " failed: " + e.getMessage());
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        /** Deletes the hold if the run is stopped (^C) while it holds: a held watchdog starts nothing again. */
        private final Thread release = new Thread(() -> holdRestarts(false));
        private boolean releaseHooked;

        @Override
        public synchronized void holdRestarts(boolean hold) {
            try {
                if (hold) {
                    java.nio.file.Files.writeString(WatchdogMain.hold(settings), "./ext4sim chaos copies the image\n");
                    if (!releaseHooked) {
                        Runtime.getRuntime().addShutdownHook(release);
                        releaseHooked = true;
                    }
                } else {
                    java.nio.file.Files.deleteIfExists(WatchdogMain.hold(settings));
                }
            } catch (java.io.IOException e) {
                out.println("chaos: could not " + (hold ? "hold" : "release") + " the watchdog: " + e.getMessage());
            }
        }

        @Override
        public int down() {
            return stack.down();
        }

        @Override
        public Path image() {
            return settings.image();
        }

        private URI uri(String service) {
            return URI.create("http://127.0.0.1:" + settings.port(Component.byName(service).orElseThrow()) + "/v1/crash-points");
        }

        /** The call with the admin token; its body on 2xx, else empty. */
        private Optional<String> admin(String service, HttpRequest.Builder request) {
            return AdminCall.send(settings, request).filter(r -> r.statusCode() / 100 == 2).map(HttpResponse::body);
        }
    }
}
