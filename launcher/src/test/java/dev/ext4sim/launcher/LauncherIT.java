package dev.ext4sim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.ondisk.E2fsprogs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The launcher on a fresh data folder: `up` starts a real KRaft broker and the six services as processes, the
 * ping crosses the chain over the real broker and leaves its tracepoints, a SIGKILLed service turns into an error
 * and not a hang, `start` brings it back, and `down` leaves no process behind. One stack for all the steps, on
 * ports apart from a developer's running stack.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class LauncherIT {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static Settings settings;
    static Stack stack;
    static final ByteArrayOutputStream output = new ByteArrayOutputStream();
    static final List<Long> pids = new ArrayList<>();

    @BeforeAll
    static void freshFolder() throws IOException {
        Path root = Path.of(System.getProperty("user.dir")).getParent();
        Path home = Files.createTempDirectory(root.resolve("launcher").resolve("target"), "stack-");
        int base = freePortBlock(10);
        settings = new Settings(root, home, base, base + 8, "");
        stack = new Stack(settings, new PrintStream(output, true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void cleanUp() {
        if (stack != null) {
            stack.down();
        }
        System.out.println(output.toString(StandardCharsets.UTF_8));
    }

    @Test
    @Order(1)
    void upStartsTheBrokerAndTheSixServicesUntilHealthy() throws Exception {
        assertThat(stack.up()).as(output.toString(StandardCharsets.UTF_8)).isZero();
        for (Component c : Component.all()) {
            Optional<ProcessHandle> h = stack.supervisor().running(c);
            assertThat(h).as(c.name()).isPresent();
            pids.add(h.get().pid());
            assertThat(Health.of(settings, c)).as(c.name()).isEqualTo("UP");
        }
        assertThat(Files.exists(settings.log(Component.KAFKA))).isTrue();
        assertThat(output.toString(StandardCharsets.UTF_8)).contains("ready in", "/swagger-ui.html", "/actuator/prometheus");
        assertThat(stack.status()).isZero();
    }

    @Test
    @Order(2)
    void pingCrossesTheChainAndLeavesOneTracepointPerHop() throws Exception {
        HttpResponse<String> ping = get("/v1/ping", "test-ping", "4242");
        assertThat(ping.statusCode()).as(ping.body()).isEqualTo(200);
        assertThat(ping.body()).contains("\"service\":\"gateway\"", "\"service\":\"vfs-service\"",
                "\"service\":\"ext4-service\"", "\"service\":\"jbd2-service\"", "\"service\":\"blockdev-service\"",
                "\"latency_us\"");
        String traceId = ping.headers().firstValue("X-Trace-Id").orElseThrow();

        HttpResponse<String> trace = get("/v1/trace?trace=" + traceId, "test-ping", "4242");
        assertThat(trace.statusCode()).isEqualTo(200);
        assertThat(trace.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(trace.body()).startsWith("# tracer: nop\n");
        List<String> lines = trace.body().lines().filter(l -> !l.startsWith("#")).toList();
        assertThat(lines).hasSize(5);
        assertThat(lines).allMatch(l -> l.matches(" {7}test-ping-4242  \\[\\d{3}] \\.\\.\\.1 +\\d+\\.\\d{6}: ext4sim_ping: service [a-z0-9-]+ hop \\d handled_us \\d+"));
        assertThat(String.join("\n", lines)).contains("service blockdev-service hop 4");
    }

    @Test
    @Order(3)
    void theUfsProbeLeavesItsTracepointsAndWritebackKnowsTheDisk() throws Exception {
        HttpResponse<String> trace = get("/v1/trace", "test-probe", "4343");
        assertThat(trace.statusCode()).isEqualTo(200);
        List<String> lines = trace.body().lines().filter(l -> !l.startsWith("#")).toList();
        String ts = " +\\d+\\.\\d{6}: ";
        String scan = "^   kworker/u16:0-7     \\[\\d{3}] \\.\\.\\.1" + ts;
        String irq = "^          <idle>-0     \\[\\d{3}] \\.\\.\\.1" + ts;
        assertThat(lines).anyMatch(l -> l.matches(scan
                + "ufshcd_uic_command: send_req: 1d84000\\.ufshc: cmd: 0x16, arg1: 0x0, arg2: 0x0, arg3: 0x0$"));
        assertThat(lines).anyMatch(l -> l.matches(irq
                + "ufshcd_uic_command: complete_rsp: 1d84000\\.ufshc: cmd: 0x16, arg1: 0x0, arg2: 0x0, arg3: 0x0$"));
        assertThat(lines).anyMatch(l -> l.matches(scan + "ufshcd_upiu: query_send: 1d84000\\.ufshc: "
                + "HDR:16 00 00 01 00 81 00 00 00 00 00 00, OSF:06 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00$"));
        assertThat(lines).anyMatch(l -> l.matches(scan + "ufshcd_init: 1d84000\\.ufshc: took \\d+ usecs, "
                + "dev_state: UFS_ACTIVE_PWR_MODE, link_state: UIC_LINK_ACTIVE_STATE, err 0$"));
        assertThat(lines).anyMatch(l -> l.matches(scan + "scsi_dispatch_cmd_start: host_no=0 channel=0 id=0 lun=49488 "
                + "data_sgl=1 prot_sgl=0 prot_op=SCSI_PROT_NORMAL cmnd=\\(INQUIRY - raw=12 00 00 00 24 00\\)$"));
        assertThat(lines).anyMatch(l -> l.matches(scan + "writeback_bdi_register: bdi 8:0$"));

        int writeback = settings.port(Component.byName("writeback-service").orElseThrow());
        HttpRequest bdiList = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + writeback + "/v1/writeback/bdi"))
                .timeout(Duration.ofSeconds(10)).build();
        String bdi = "";
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!bdi.contains("8:0") && System.nanoTime() < deadline) {
            bdi = HTTP.send(bdiList, HttpResponse.BodyHandlers.ofString()).body();
            if (!bdi.contains("8:0")) {
                Thread.sleep(200); // polling pace: the events consumer may still be joining its group
            }
        }
        assertThat(bdi).contains("\"bdi\":\"8:0\"", "\"disk\":\"sda\"", "\"dwork\":\"wb_workfn\"");
        assertThat(settings.home().resolve("sda.img")).exists();
    }

    /**
     * Thousands of malformed calls ({@link RestFuzz}, seeded: -Dext4sim.fuzz.seed): each is refused with an errno as
     * problem+json and never a 5xx other than 503/504; afterwards the root directory and the file they aimed at are
     * as they were, and the stack still runs the seed program.
     */
    @Test
    @Order(4)
    void malformedCallsAreRefusedWithAnErrnoAndChangeNothing() throws Exception {
        int port = settings.port(Component.SERVICES.getFirst());
        Rest.Caller fuzz = new Rest(port).as("fuzz", 31337);
        int fd = fuzz.open("/fuzz-target", List.of("O_CREAT", "O_RDWR"), "0644").fd();
        assertThat(fuzz.write(fd, "as it was\n".getBytes(StandardCharsets.US_ASCII)).written()).isEqualTo(10);
        assertThat(fuzz.post("/v1/fds/" + fd + "/fsync").body()).isEqualTo("{\"ret\":0}");
        assertThat(fuzz.post("/v1/fds/" + fd + "/close").body()).isEqualTo("{\"ret\":0}");
        int readOnly = fuzz.open("/fuzz-target", List.of("O_RDONLY"), null).fd();
        String root = fuzz.get("/v1/stat?path=/").body();
        String target = fuzz.get("/v1/stat?path=/fuzz-target").body();

        long seed = Long.getLong("ext4sim.fuzz.seed", 20261207L);
        RestFuzz calls = new RestFuzz(seed, port, "fuzz", 31337, "/fuzz-target", readOnly);
        Map<Integer, Integer> statuses = new TreeMap<>();
        List<String> violations = new ArrayList<>();
        int n = 2000;
        long began = System.nanoTime();
        for (int i = 0; i < n; i++) {
            RestFuzz.Call call = calls.next();
            HttpResponse<String> r = HTTP.send(call.request(), HttpResponse.BodyHandlers.ofString());
            statuses.merge(r.statusCode(), 1, Integer::sum);
            String v = RestFuzz.violation(r);
            if (v != null && violations.size() < 20) {
                violations.add(call.what() + " -> " + v + ": " + r.body());
            }
        }
        System.out.printf("fuzz (seed %d): %d malformed calls in %.1f s, statuses %s%n", seed, n,
                (System.nanoTime() - began) / 1e9, statuses);
        assertThat(violations).as("calls answered otherwise than with an errno (seed %d)", seed).isEmpty();

        assertThat(fuzz.get("/v1/stat?path=/").body()).as("/ after the fuzz").isEqualTo(root);
        assertThat(fuzz.get("/v1/stat?path=/fuzz-target").body()).as("the target after the fuzz").isEqualTo(target);
        assertThat(new String(fuzz.readFile("/fuzz-target"), StandardCharsets.US_ASCII)).isEqualTo("as it was\n");
        assertThat(fuzz.post("/v1/fds/" + readOnly + "/close").body()).isEqualTo("{\"ret\":0}");
        int seedFd = fuzz.open("/after-fuzz", List.of("O_CREAT", "O_RDWR"), "0644").fd();
        assertThat(fuzz.write(seedFd, "hello world\n".getBytes(StandardCharsets.US_ASCII)).written()).isEqualTo(12);
        assertThat(fuzz.post("/v1/fds/" + seedFd + "/fsync").body()).isEqualTo("{\"ret\":0}");
        assertThat(fuzz.post("/v1/fds/" + seedFd + "/close").body()).isEqualTo("{\"ret\":0}");
    }

    /**
     * jbd2.commit.T_COMMIT armed with ./ext4sim crash: the next commit writes its descriptor and a metadata block and
     * the process dies before the commit block. Started again, jbd2 recovers the journal (the torn transaction is
     * discarded) and ext4 logs its blocks again: the fsync that was waiting returns or fails, a later one succeeds,
     * and every byte is there.
     */
    @Test
    @Order(5)
    void aCrashPointInTheMiddleOfACommitKillsJbd2AndStartRecoversTheJournal() throws Exception {
        Component jbd2 = Component.byName("jbd2-service").orElseThrow();
        Rest.Caller w = new Rest(settings.port(Component.SERVICES.getFirst())).as("crash-writer", 4242);
        byte[] first = new byte[8192];
        byte[] second = new byte[8192];
        new Random(4242).nextBytes(first);
        new Random(4243).nextBytes(second);
        int fd = w.open("/crash-point", List.of("O_CREAT", "O_RDWR"), "0644").fd();
        assertThat(w.write(fd, 0, first).written()).isEqualTo(first.length);
        assertThat(w.post("/v1/fds/" + fd + "/fsync").body()).isEqualTo("{\"ret\":0}");

        ByteArrayOutputStream said = new ByteArrayOutputStream();
        CrashCommand crash = new CrashCommand(settings, new PrintStream(said, true, StandardCharsets.UTF_8));
        assertThat(crash.run(List.of("jbd2-service"))).isZero();
        assertThat(said.toString(StandardCharsets.UTF_8)).contains("jbd2.commit.T_LOCKED", "jbd2.commit.T_COMMIT",
                "jbd2.checkpoint.written_home", "jbd2.write_superblock");
        assertThat(crash.run(List.of("jbd2-service", "no.such.point", "--nth", "1"))).isOne();
        assertThat(said.toString(StandardCharsets.UTF_8)).contains("\"errno\":\"EINVAL\"");
        // without the stack's admin token (./ext4sim crash sends it), nobody arms anything
        HttpResponse<String> anonymous = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + settings.port(jbd2) + "/v1/crash-points")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"point\":\"jbd2.commit.T_COMMIT\",\"nth\":1}"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.body()).contains("\"errno\":\"EACCES\"", "admin.token");
        assertThat(crash.run(List.of("jbd2-service", "jbd2.commit.T_COMMIT", "--nth", "1"))).isZero();

        assertThat(w.write(fd, first.length, second).written()).isEqualTo(second.length);
        CompletableFuture<Rest.Reply> waiting = CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return w.post("/v1/fds/" + fd + "/fsync");
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                }, Executors.newVirtualThreadPerTaskExecutor());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (stack.supervisor().running(jbd2).isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(50); // polling pace: waiting for the process to die at its crash point
        }
        assertThat(stack.supervisor().running(jbd2)).as("jbd2-service died at its crash point").isEmpty();
        assertThat(Files.readString(settings.log(jbd2))).contains("crash point jbd2.commit.T_COMMIT fired at hit 1");

        assertThat(stack.start("jbd2-service")).isZero();
        pids.add(stack.supervisor().running(jbd2).orElseThrow().pid());
        Rest.Reply inFlight = waiting.get(120, TimeUnit.SECONDS);
        assertThat(inFlight.body()).as("the fsync caught in the crash").matches("\\{\"ret\":0}|.*\"errno\":\"E[A-Z]+\".*");
        assertThat(w.post("/v1/fds/" + fd + "/fsync").body()).isEqualTo("{\"ret\":0}");
        String log = Files.readString(settings.log(jbd2));
        assertThat(log.substring(log.indexOf("crash point jbd2.commit.T_COMMIT fired")))
                .contains("recovering journal", "recovery complete");
        byte[] both = new byte[first.length + second.length];
        System.arraycopy(first, 0, both, 0, first.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        assertThat(w.readFile("/crash-point")).isEqualTo(both);
        assertThat(w.post("/v1/fds/" + fd + "/close").body()).isEqualTo("{\"ret\":0}");
        System.out.printf("crash point: the fsync caught in it answered %s%n", inFlight.body());
    }

    @Test
    @Order(6)
    void aKilledServiceIsAnErrorNotAHangAndStartBringsItBack() throws Exception {
        assertThat(stack.kill("jbd2-service")).isZero();
        assertThat(stack.supervisor().running(Component.byName("jbd2-service").orElseThrow())).isEmpty();

        long began = System.nanoTime();
        HttpResponse<String> ping = get("/v1/ping", "test-chaos", "77");
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(20));
        assertThat(ping.statusCode()).isIn(502, 504);
        assertThat(ping.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(ping.body()).containsPattern("\"errno\":\"(ETIMEDOUT|EIO)\"").contains("jbd2-service");

        assertThat(stack.start("jbd2-service")).isZero();
        pids.add(stack.supervisor().running(Component.byName("jbd2-service").orElseThrow()).orElseThrow().pid());
        assertThat(get("/v1/ping", "test-chaos", "77").statusCode()).isEqualTo(200);
    }

    /** The watchdog `up` leaves running: a SIGKILLed service serves again without anyone starting it, and status says so. */
    @Test
    @Order(7)
    void theWatchdogStartsAKilledServiceAgain() throws Exception {
        Component jbd2 = Component.byName("jbd2-service").orElseThrow();
        assertThat(stack.startWatchdog()).isZero();
        long killedAt = System.nanoTime();
        assertThat(stack.kill("jbd2-service")).isZero();
        assertThat(output.toString(StandardCharsets.UTF_8)).contains("the watchdog starts it again");
        long deadline = killedAt + Duration.ofSeconds(120).toNanos();
        while (!(stack.supervisor().running(jbd2).isPresent() && "UP".equals(Health.of(settings, jbd2)))
                && System.nanoTime() < deadline) {
            Thread.sleep(100); // polling pace: waiting for the watchdog's restart and the service's health
        }
        assertThat(Health.of(settings, jbd2)).as("jbd2-service serving again; the watchdog's log:%n%s",
                Files.exists(settings.logs().resolve("watchdog.log")) ? Files.readString(settings.logs().resolve("watchdog.log")) : "")
                .isEqualTo("UP");
        pids.add(stack.supervisor().running(jbd2).orElseThrow().pid());
        System.out.printf("watchdog: jbd2-service SIGKILLed and serving again %.1f s later%n",
                (System.nanoTime() - killedAt) / 1e9);
        assertThat(get("/v1/ping", "test-watchdog", "78").statusCode()).isEqualTo(200);
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        Stack reader = new Stack(settings, new PrintStream(said, true, StandardCharsets.UTF_8));
        long statusDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        java.util.regex.Pattern restartedOnce = java.util.regex.Pattern.compile("jbd2-service +\\d+ +\\d+ +UP +1 ");
        while (!restartedOnce.matcher(said.toString(StandardCharsets.UTF_8)).find() && System.nanoTime() < statusDeadline) {
            said.reset();
            reader.status();
            Thread.sleep(100); // the watchdog writes its records after the restart
        }
        assertThat(said.toString(StandardCharsets.UTF_8)).containsPattern("jbd2-service +\\d+ +\\d+ +UP +1 ")
                .containsPattern("watchdog pid \\d+: starts again what dies; jbd2-service last served again [0-9.]+ s after it died");
    }

    @Test
    @Order(8)
    void downLeavesNoProcessBehind() throws Exception {
        assertThat(stack.down()).isZero();
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("pid " + pid).isEmpty();
        }
        assertThat(stack.supervisor().strays()).isEmpty();
        for (Component c : Component.all()) {
            try (ServerSocket s = new ServerSocket(settings.port(c))) {
                assertThat(s.isBound()).as("port of " + c.name() + " is free again").isTrue();
            }
        }
        assertThat(stack.status()).isNotZero();

        // The stack's disk is the ext4 filesystem up made, unharmed by the probe and the stack's life.
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(settings.image());
        assertThat(fsck.exit()).as(fsck.output()).isZero();
        assertThat(output.toString(StandardCharsets.UTF_8)).contains("formatted " + settings.image() + ": ext4, 1024 MiB");
    }

    static HttpResponse<String> get(String path, String comm, String pid) throws Exception {
        int port = settings.port(Component.SERVICES.getFirst());
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("X-Comm", comm).header("X-Pid", pid).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The first port of `count` consecutive free ports, above the usual ones. */
    public static int freePortBlock(int count) throws IOException {
        for (int base = 18000 + (int) (ProcessHandle.current().pid() % 500) * 10; base < 60000; base += 10) {
            boolean free = true;
            for (int p = base; p < base + count && free; p++) {
                try (ServerSocket s = new ServerSocket(p)) {
                    s.setReuseAddress(true);
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IOException("no block of " + count + " free ports");
    }
}
