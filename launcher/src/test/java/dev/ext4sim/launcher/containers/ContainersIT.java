package dev.ext4sim.launcher.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ext4sim.launcher.Rest;
import dev.ext4sim.ondisk.E2fsprogs;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The stack as users deploy it: the repository's docker-compose.yml, run by Testcontainers on a real Docker engine
 * from the images this build makes (docker/build-images.sh, as ./ext4sim images). The seed program runs over REST
 * against the gateway's published port, Prometheus scrapes every service, jbd2-service's container is SIGKILLed in the
 * middle of a commit under a write+fsync load and started again, and every byte an fsync acknowledged is read back
 * over REST and, after a clean stop, out of the volume's image, which e2fsck -fn passes.
 *
 * <p>Where no Docker engine answers, the class is skipped and says why; .ci/run starts one.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainersIT {
    static final String PROJECT = "ext4sim-containers-it";
    static final List<String> SERVICES = List.of("kafka", "blockdev-service", "writeback-service", "jbd2-service",
            "ext4-service", "vfs-service", "gateway", "prometheus");
    /** docker compose stop's order: the reverse of the file's dependencies, so ext4 unmounts before blockdev stops. */
    static final List<String> STOP_ORDER = List.of("gateway", "vfs-service", "ext4-service", "jbd2-service",
            "writeback-service", "blockdev-service", "prometheus", "kafka");
    static final int WRITERS = 4;
    static final int CHUNK = 4096;
    static final ObjectMapper JSON = new ObjectMapper();
    static final String ADMIN_TOKEN = "containers-it-" + Long.toHexString(new Random().nextLong());

    static Path root;
    static ComposeStack stack;
    static Rest rest;
    static int httpPort;
    static int prometheusPort;
    static double readySeconds;

    /** What each writer's fsyncs acknowledged: the file's first acked[w] bytes are durable. */
    static final long[] acked = new long[WRITERS];

    @BeforeAll
    static void up() throws Exception {
        boolean engine = ComposeStack.engineAnswers();
        String why = "no Docker engine answers (DOCKER_HOST or /var/run/docker.sock), so ContainersIT is skipped; "
                + "start one to run it (.ci/run does: dockerd > /var/log/ext4sim-dockerd.log 2>&1 &)";
        if (!engine) {
            System.out.println("containers: SKIPPED: " + why); // failsafe's summary counts a skipped class as 0 tests
        }
        assumeThat(engine).as(why).isTrue();
        root = Path.of(System.getProperty("user.dir")).getParent();
        System.out.println("containers: building the images (docker/build-images.sh)");
        ComposeStack.buildImages(root, Duration.ofMinutes(15));
        ComposeStack.removeLeftovers(PROJECT);
        httpPort = freePort();
        prometheusPort = freePort();
        long began = System.nanoTime();
        stack = ComposeStack.up(root.resolve("docker-compose.yml"), PROJECT, Map.of(
                "EXT4SIM_HTTP_PORT", Integer.toString(httpPort),
                "EXT4SIM_PROMETHEUS_PORT", Integer.toString(prometheusPort),
                "EXT4SIM_DISK_SIZE", "256M",
                "EXT4SIM_ADMIN_TOKEN", ADMIN_TOKEN));
        // docker-compose 1.29's up returns once the gateway is started, not healthy: wait as a v1 user does
        boolean ready = ComposeStack.await(Duration.ofMinutes(5), Duration.ofMillis(500), () -> stack.healthy("gateway"));
        assertThat(ready).as("the gateway's container became healthy within 5 minutes; its log:%n%s",
                stack.logs("gateway")).isTrue();
        readySeconds = (System.nanoTime() - began) / 1e9;
        rest = new Rest(httpPort);
        System.out.printf("containers: compose up to a healthy gateway in %.1f s%n", readySeconds);
    }

    @AfterAll
    static void down() {
        if (stack != null) {
            stack.down();
        }
    }

    @Test
    @Order(1)
    void theSeedProgramRunsAgainstTheContainersGateway() throws Exception {
        Rest.Caller demo = rest.as("demo", 1234);
        Rest.Reply open = demo.open("/hello", List.of("O_CREAT", "O_RDWR"), "0644");
        assertThat(open.status()).as(open.body()).isEqualTo(200);
        int fd = open.fd();
        assertThat(demo.write(fd, "hello world\n".getBytes(StandardCharsets.US_ASCII)).body()).isEqualTo("{\"written\":12}");
        assertThat(demo.post("/v1/fds/" + fd + "/fsync").body()).isEqualTo("{\"ret\":0}");
        assertThat(demo.post("/v1/fds/" + fd + "/close").body()).isEqualTo("{\"ret\":0}");
        assertThat(new String(demo.readFile("/hello"), StandardCharsets.US_ASCII)).isEqualTo("hello world\n");
        List<Rest.Line> trace = rest.traceUntil("task=demo", l -> l.event().equals("ext4_sync_file_exit"));
        assertThat(trace).extracting(Rest.Line::event).contains("ext4_da_write_begin", "ext4_da_write_end",
                "ext4_sync_file_enter", "ext4_sync_file_exit");

        long[] micros = seedFsyncs(demo, "/hello", 30);
        System.out.printf("containers: seed fsync after an overwrite, %d calls: p50 %.1f ms, max %.1f ms%n",
                micros.length, micros[micros.length / 2] / 1e3, micros[micros.length - 1] / 1e3);
    }

    /** The seed program's write and fsync, {@code n} times over the first bytes of {@code path}: each fsync's µs, sorted. */
    static long[] seedFsyncs(Rest.Caller caller, String path, int n) throws Exception {
        long[] micros = new long[n];
        int fd = caller.open(path, List.of("O_CREAT", "O_RDWR"), "0644").fd();
        for (int i = 0; i < n; i++) {
            assertThat(caller.write(fd, 0, "hello world\n".getBytes(StandardCharsets.US_ASCII)).written()).isEqualTo(12);
            long t = System.nanoTime();
            assertThat(caller.post("/v1/fds/" + fd + "/fsync").body()).isEqualTo("{\"ret\":0}");
            micros[i] = (System.nanoTime() - t) / 1000;
        }
        assertThat(caller.post("/v1/fds/" + fd + "/close").body()).isEqualTo("{\"ret\":0}");
        Arrays.sort(micros);
        return micros;
    }

    @Test
    @Order(2)
    void prometheusScrapesEveryServiceInItsContainer() throws Exception {
        List<String> expected = List.of("gateway", "vfs-service", "ext4-service", "jbd2-service", "writeback-service",
                "blockdev-service");
        Map<String, String> health = new ConcurrentHashMap<>();
        boolean allUp = ComposeStack.await(Duration.ofSeconds(60), Duration.ofMillis(500), () -> {
            try {
                JsonNode targets = prometheus("/api/v1/targets?state=active").path("data").path("activeTargets");
                health.clear();
                for (JsonNode t : targets) {
                    health.put(t.path("labels").path("job").asText(), t.path("health").asText()
                            + (t.path("lastError").asText().isEmpty() ? "" : " (" + t.path("lastError").asText() + ")"));
                }
                return health.keySet().containsAll(expected) && health.values().stream().allMatch("up"::equals);
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
        assertThat(allUp).as("every Prometheus target up within 60 s: %s", health).isTrue();
        Map<String, Long> memory = stack.memory(SERVICES);
        long total = memory.values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("containers: every target up %s; memory %d MiB in all %s%n", health.keySet(), total >> 20,
                memory.entrySet().stream().map(e -> e.getKey() + " " + (e.getValue() >> 20)).toList());
    }

    @Test
    @Order(3)
    void jbd2KilledInTheMiddleOfACommitLosesNoAcknowledgedFsync() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean restarted = new AtomicBoolean();
        AtomicInteger fsyncs = new AtomicInteger();
        AtomicInteger afterRestart = new AtomicInteger();
        AtomicLong[] fsyncSince = new AtomicLong[WRITERS];
        Map<String, Integer> failures = new ConcurrentHashMap<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            fsyncSince[w] = new AtomicLong();
            Rest.Caller c = rest.as("ctr-writer", 5000 + w);
            int fd = c.open("/ledger-" + w, List.of("O_CREAT", "O_RDWR"), "0644").fd();
            writers.add(Thread.ofVirtual().name("writer-" + w).start(() -> {
                long size = 0;
                while (!stop.get()) {
                    try {
                        Rest.Reply wr = c.write(fd, size, chunk(writer, size / CHUNK));
                        if (wr.status() != 200) {
                            failures.merge("write " + wr.errno(), 1, Integer::sum);
                            continue; // the same bytes at the same offset again
                        }
                        fsyncSince[writer].set(System.nanoTime());
                        Rest.Reply f = c.post("/v1/fds/" + fd + "/fsync");
                        fsyncSince[writer].set(0);
                        if (f.status() != 200) {
                            failures.merge("fsync " + f.errno(), 1, Integer::sum); // a failed fsync promises nothing
                            continue;
                        }
                        size += CHUNK;
                        synchronized (acked) {
                            acked[writer] = size;
                        }
                        fsyncs.incrementAndGet();
                        if (restarted.get()) {
                            afterRestart.incrementAndGet();
                        }
                    } catch (IOException e) {
                        fsyncSince[writer].set(0);
                        failures.merge("http " + e.getClass().getSimpleName(), 1, Integer::sum);
                    } catch (Throwable t) {
                        errors.add(t);
                        return;
                    }
                }
            }));
        }
        try {
            assertThat(ComposeStack.await(Duration.ofSeconds(120), Duration.ofMillis(100), () -> fsyncs.get() >= 40))
                    .as("40 fsyncs under load").isTrue();
            // Cache flushes take 3 s: the commit under way stalls at its flush (T_FLUSH's ordered data written, the
            // commit record's PREFLUSH not done), with the fsyncs that wait for it. An fsync waiting over a second
            // is such a commit.
            assertThat(blockdev("POST", "/v1/blockdev/faults", "{\"kind\":\"latency\",\"op\":\"FLUSH\",\"latencyUs\":3000000}"))
                    .contains("latency");
            boolean stalled = ComposeStack.await(Duration.ofSeconds(30), Duration.ofMillis(20), () -> Arrays.stream(fsyncSince)
                    .mapToLong(AtomicLong::get).anyMatch(t -> t != 0 && System.nanoTime() - t > 1_000_000_000L));
            assertThat(stalled).as("an fsync waiting on a stalled commit").isTrue();
            int atKill = fsyncs.get();
            long killedAt = System.currentTimeMillis();
            stack.kill("jbd2-service");
            assertThat(blockdev("DELETE", "/v1/blockdev/faults", "")).doesNotContain("latency");
            stack.start("jbd2-service");
            boolean healthy = ComposeStack.await(Duration.ofMinutes(3), Duration.ofMillis(200), () -> stack.healthy("jbd2-service"));
            assertThat(healthy).as("jbd2-service healthy again; its log:%n%s", stack.logs("jbd2-service")).isTrue();
            double downFor = (System.currentTimeMillis() - killedAt) / 1e3;
            restarted.set(true);
            assertThat(ComposeStack.await(Duration.ofMinutes(3), Duration.ofMillis(100), () -> afterRestart.get() >= 20))
                    .as("20 fsyncs after jbd2 came back; failures %s", failures).isTrue();
            assertThat(stack.logsSince("jbd2-service", killedAt / 1000))
                    .as("the restarted jbd2 recovered the journal from the volume's image")
                    .contains("recovering journal", "recovery complete");
            System.out.printf("containers: jbd2-service killed mid-commit after %d fsyncs, healthy again %.1f s later; "
                    + "%d fsyncs in all, failures seen by clients %s%n", atKill, downFor, fsyncs.get(), failures);
        } finally {
            stop.set(true);
            for (Thread t : writers) {
                t.join(Duration.ofMinutes(2));
            }
        }
        assertThat(errors).isEmpty();

        Rest.Caller reader = rest.as("ctr-reader", 5100);
        for (int w = 0; w < WRITERS; w++) {
            byte[] got = reader.readFile("/ledger-" + w);
            assertThat(got.length).as("ledger-%d's size", w).isGreaterThanOrEqualTo((int) acked[w]);
            assertThat(Arrays.copyOf(got, (int) acked[w])).as("ledger-%d's acknowledged bytes", w)
                    .isEqualTo(expected(w, acked[w]));
        }
    }

    @Test
    @Order(4)
    void aCleanStopLeavesAnImageE2fsckPassesWithEveryAcknowledgedByte() throws Exception {
        stack.stop(STOP_ORDER);
        Path image = Files.createTempFile(root.resolve("launcher/target"), "containers-", ".img");
        try {
            stack.copyOut("blockdev-service", "/data/sda.img", image);
            E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(image);
            assertThat(fsck.exit()).as(fsck.output()).isZero();
            assertThat(E2fsprogs.debugfs(image, "cat /hello").output()).contains("hello world");
            for (int w = 0; w < WRITERS; w++) {
                byte[] onDisk = E2fsprogs.debugfs(image, "cat /ledger-" + w).stdout();
                assertThat(onDisk.length).as("ledger-%d on the image", w).isGreaterThanOrEqualTo((int) acked[w]);
                assertThat(Arrays.copyOf(onDisk, (int) acked[w])).as("ledger-%d's acknowledged bytes on the image", w)
                        .isEqualTo(expected(w, acked[w]));
            }
        } finally {
            Files.deleteIfExists(image);
        }
    }

    /** The bytes of writer w's chunk n: the same every time they are written again. */
    static byte[] chunk(int w, long n) {
        byte[] b = new byte[CHUNK];
        new Random(w * 1_000_003L + n).nextBytes(b);
        return b;
    }

    static byte[] expected(int w, long length) {
        byte[] all = new byte[(int) length];
        for (long off = 0; off < length; off += CHUNK) {
            System.arraycopy(chunk(w, off / CHUNK), 0, all, (int) off, CHUNK);
        }
        return all;
    }

    /** A call to blockdev-service's admin API, which is not published: made inside its container with bash's /dev/tcp. */
    static String blockdev(String method, String path, String json) throws Exception {
        String script = "exec 3<>/dev/tcp/127.0.0.1/8085 && printf '%s %s HTTP/1.0\\r\\nHost: localhost\\r\\n"
                + "Authorization: Bearer %s\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n%s' "
                + "\"$0\" \"$1\" \"$EXT4SIM_ADMIN_TOKEN\" \"${#2}\" \"$2\" >&3 && cat <&3";
        ComposeStack.Exec r = stack.bashWithArgs("blockdev-service", script, method, path, json);
        assertThat(r.exit()).as("%s %s in blockdev-service: %s", method, path, r.stderr()).isZero();
        assertThat(r.stdout()).as("%s %s", method, path).startsWith("HTTP/1.1 2");
        return r.stdout();
    }

    static JsonNode prometheus(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = Rest.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prometheusPort + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
