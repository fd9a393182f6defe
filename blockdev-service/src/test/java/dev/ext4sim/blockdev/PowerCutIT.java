package dev.ext4sim.blockdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.kafka.KafkaBus;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Crash consistency with a real process: the packaged blockdev-service against a real (embedded KRaft) broker. Blocks
 * written with FUA, or followed by a flush, survive a SIGKILL; exactly the blocks written without either are lost.
 * The admin power cut does the same and exits. Bad input gets an errno and the service keeps serving.
 */
class PowerCutIT {
    static final String ADMIN_TOKEN = "power-cut-it";
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final Duration CALL = Duration.ofSeconds(20);
    static EmbeddedKafkaKraftBroker broker;
    static KafkaBus client;
    static Path home;
    static Path image;
    static int port;
    static Process service;
    final TraceContext ctx = new TraceContext("powercut", new Task("test-powercut", 99));

    @BeforeAll
    static void brokerAndClient() throws IOException {
        broker = new EmbeddedKafkaKraftBroker(1, 1);
        broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
        broker.brokerProperty("offsets.topic.num.partitions", "1");
        broker.brokerProperty("message.max.bytes", String.valueOf(16 << 20));
        broker.afterPropertiesSet();
        client = new KafkaBus("test-client", broker.getBrokersAsString());
        client.start(Duration.ofSeconds(30));
        home = Files.createTempDirectory(Path.of("target"), "powercut-");
        image = home.resolve("sda.img").toAbsolutePath();
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.destroyForcibly();
        }
        if (client != null) {
            client.close();
        }
        if (broker != null) {
            broker.destroy();
        }
    }

    static Process start() throws Exception {
        Path jar = Path.of("target", "blockdev-service-exec.jar").toAbsolutePath();
        assertThat(jar).exists();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-Xmx256m", "-jar", jar.toString(),
                "--server.port=" + port, "--spring.kafka.bootstrap-servers=" + broker.getBrokersAsString(),
                "--ext4sim.blockdev.image=" + image, "--ext4sim.blockdev.image-size=64MB",
                "--ext4sim.blockdev.profile=ufs3.1", "--ext4sim.blockdev.destage-interval=0s",
                "--ext4sim.admin.token=" + ADMIN_TOKEN,
                // calls skipped, dead-lettered or failed are logged at debug: what a timed-out call needs explained
                "--logging.level.dev.ext4sim.bus=DEBUG")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("blockdev-service.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            assertThat(p.isAlive()).as("blockdev-service exited; see " + home.resolve("blockdev-service.log")).isTrue();
            if (get("/actuator/health").contains("\"status\":\"UP\"")) {
                return p;
            }
            Thread.sleep(200); // polling pace of a health check with a deadline
        }
        throw new AssertionError("blockdev-service not healthy within 90 s; see " + home.resolve("blockdev-service.log"));
    }

    static String get(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "";
        }
    }

    static HttpResponse<String> send(String method, String path, String json) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + ADMIN_TOKEN)
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static byte[] block(int seed, int blocks) {
        byte[] b = new byte[4096 * blocks];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (seed + i * 7);
        }
        return b;
    }

    BlockIo.Completion submit(List<BlockIo.Bio> bios, byte[] data) {
        try {
            return client.client().invoke(BlockIo.SERVICE, BlockIo.SUBMIT, new BlockIo.Submit("sda1", bios, data), CALL, ctx);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ETIMEDOUT) {
                throw e;
            }
            // an unanswered call is the service's story, not the test's: show it where the failure is read
            throw new AssertionError(e.getMessage() + "; the end of " + home.resolve("blockdev-service.log") + ":\n"
                    + logTail(60), e);
        }
    }

    static String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(home.resolve("blockdev-service.log"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    byte[] readBus(long sector, int bytes) {
        return submit(List.of(BlockIo.Bio.read(sector, bytes)), null).data();
    }

    static byte[] readImage(long sector, int bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
            byte[] b = new byte[bytes];
            f.seek(sector * 512);
            f.readFully(b);
            return b;
        }
    }

    @Test
    void onlyUnflushedWritesAreLostToSigkillAndToThePowerCut() throws Exception {
        service = start();
        byte[] a = block(1, 2);
        byte[] b = block(2, 1);
        byte[] c = block(3, 3);
        byte[] d = block(4, 1);
        // A, then a cache flush in the same call (ordered after A); B with FUA; C and D plain, after the last flush
        submit(List.of(BlockIo.Bio.write(0, a.length, "SYNC"), BlockIo.Bio.flush()), a);
        submit(List.of(BlockIo.Bio.write(64, b.length, "SYNC", "FUA")), b);
        submit(List.of(BlockIo.Bio.write(128, c.length), BlockIo.Bio.write(256, d.length)), concat(c, d));
        assertThat(readBus(128, c.length)).as("reads see the volatile cache").isEqualTo(c);
        byte[] big = block(9, 1024); // 4 MiB in one call: four 1 MiB bios, merged under the plug
        submit(List.of(BlockIo.Bio.write(8192, 1 << 20), BlockIo.Bio.write(8192 + 2048, 1 << 20),
                BlockIo.Bio.write(8192 + 4096, 1 << 20), BlockIo.Bio.write(8192 + 6144, 1 << 20, "FUA")), big);
        assertThat(submit(List.of(BlockIo.Bio.read(8192, 1 << 20), BlockIo.Bio.read(8192 + 2048, 1 << 20),
                BlockIo.Bio.read(8192 + 4096, 1 << 20), BlockIo.Bio.read(8192 + 6144, 1 << 20)), null).data()).isEqualTo(big);

        // bad input gets an errno and changes nothing
        assertThatThrownBy(() -> submit(List.of(BlockIo.Bio.write(3, 4096)), new byte[4096]))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("EINVAL");
        assertThatThrownBy(() -> submit(List.of(BlockIo.Bio.read(131_072, 4096)), null))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("EIO").hasMessageContaining("beyond end of device");
        assertThatThrownBy(() -> client.client().invoke(BlockIo.SERVICE, BlockIo.SUBMIT,
                new BlockIo.Submit("sdz", List.of(BlockIo.Bio.read(0, 4096)), null), CALL, ctx))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("EINVAL");

        // faults through REST: only with the admin token; EIO on a range, a clear problem+json for a bad body
        HttpResponse<String> anonymous = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/v1/blockdev/faults")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(anonymous.body()).contains("\"errno\":\"EACCES\"", "Authorization: Bearer");
        HttpResponse<String> bad = send("POST", "/v1/blockdev/faults", "{\"kind\":\"melt\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(bad.body()).contains("\"errno\":\"EINVAL\"", "\"eio\\\" or \\\"latency\\\"");
        HttpResponse<String> added = send("POST", "/v1/blockdev/faults",
                "{\"kind\":\"eio\",\"op\":\"WRITE\",\"fromSector\":1024,\"toSector\":1032}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
        assertThatThrownBy(() -> submit(List.of(BlockIo.Bio.write(1024, 4096)), new byte[4096]))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("EIO").hasMessageContaining("injected fault");
        submit(List.of(BlockIo.Bio.write(1032, 4096)), new byte[4096]);
        assertThat(send("DELETE", "/v1/blockdev/faults", null).body()).contains("\"faults\":[]");
        submit(List.of(BlockIo.Bio.write(1024, 4096)), new byte[4096]);

        String metrics = get("/actuator/prometheus");
        assertThat(metrics).contains("node_disk_writes_completed_total{device=\"sda\"}",
                "node_disk_flush_requests_total{device=\"sda\"} 1.0", "node_disk_written_bytes_total{device=\"sda\"}",
                "blockdev_request_latency_seconds_bucket{device=\"sda\",op=\"write\"");

        long firstPowerOn = submit(List.of(BlockIo.Bio.read(0, 4096)), null).powerOn();
        assertThat(firstPowerOn).as("every completion names the device's power-on").isNotZero();
        service.destroyForcibly(); // SIGKILL: a power cut
        assertThat(service.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(readImage(0, a.length)).as("flushed").isEqualTo(a);
        assertThat(readImage(64, b.length)).as("FUA").isEqualTo(b);
        assertThat(readImage(128, c.length)).as("unflushed, lost").isEqualTo(new byte[c.length]);
        assertThat(readImage(256, d.length)).as("unflushed, lost").isEqualTo(new byte[d.length]);

        service = start();
        assertThat(readBus(0, a.length)).isEqualTo(a);
        assertThat(readBus(64, b.length)).isEqualTo(b);
        assertThat(readBus(128, c.length)).isEqualTo(new byte[c.length]);
        long secondPowerOn = submit(List.of(BlockIo.Bio.read(0, 4096)), null).powerOn();
        assertThat(secondPowerOn).as("a new power-on after the cut").isNotZero().isNotEqualTo(firstPowerOn);
        // a write from before the cut (a submitter that knew the old power-on) is refused, never applied
        assertThatThrownBy(() -> client.client().invoke(BlockIo.SERVICE, BlockIo.SUBMIT,
                new BlockIo.Submit("sda1", List.of(BlockIo.Bio.write(128, 4096, "FUA")), block(7, 1), firstPowerOn), CALL, ctx))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("ESTALE").hasMessageContaining("powered on again");
        assertThat(readBus(128, 4096)).isEqualTo(new byte[4096]);
        submit(List.of(BlockIo.Bio.write(128, 4096, "FUA")), block(7, 1));
        assertThat(client.client().invoke(BlockIo.SERVICE, BlockIo.SUBMIT, new BlockIo.Submit("sda1",
                List.of(BlockIo.Bio.read(128, 4096)), null, secondPowerOn), CALL, ctx).data()).isEqualTo(block(7, 1));

        // the admin power cut: E is in the cache only, F was flushed
        byte[] e = block(5, 1);
        byte[] f = block(6, 1);
        submit(List.of(BlockIo.Bio.write(512, f.length), BlockIo.Bio.flush(), BlockIo.Bio.write(520, e.length)), concat(f, e));
        BlockIo.AdminReply reply = client.client().invoke(BlockIo.SERVICE, BlockIo.ADMIN, BlockIo.Admin.of("power_cut"), CALL, ctx);
        assertThat(reply.status().dirtyCacheBytes()).isZero();
        assertThat(service.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(service.exitValue()).isEqualTo(137);
        assertThat(readImage(512, f.length)).isEqualTo(f);
        assertThat(readImage(520, e.length)).isEqualTo(new byte[e.length]);
        assertThat(Arrays.equals(readImage(0, a.length), a)).isTrue();
    }

    static byte[] concat(byte[] x, byte[] y) {
        byte[] r = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, r, x.length, y.length);
        return r;
    }
}
