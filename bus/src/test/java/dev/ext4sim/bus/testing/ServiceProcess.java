package dev.ext4sim.bus.testing;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A packaged service jar run as a process of its own, for the integration tests that kill and restart services:
 * started against a broker with its output in a log file, and awaited until its health is UP.
 */
public final class ServiceProcess {
    public static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration HEALTHY_WITHIN = Duration.ofSeconds(90);

    private ServiceProcess() {
    }

    /** Starts {@code jar} with small-JVM flags, the broker and {@code args}, appending its output to {@code log}. */
    public static Process launch(Path jar, Path log, String bootstrap, List<String> args) throws IOException {
        if (!Files.exists(jar)) {
            throw new AssertionError("no packaged jar " + jar + " (run mvn verify)");
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx384m", "-jar", jar.toAbsolutePath().toString(),
                "--spring.kafka.bootstrap-servers=" + bootstrap));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
    }

    /** Waits until the service on {@code port} says UP; fails at once if it exited, naming its log. */
    public static void awaitHealthy(String name, Process p, int port, Path log) throws InterruptedException {
        long deadline = System.nanoTime() + HEALTHY_WITHIN.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError(name + " exited; see " + log);
            }
            if (get(port, "/actuator/health").contains("\"status\":\"UP\"")) {
                return;
            }
            Thread.sleep(100); // polling pace of a health check with a deadline
        }
        throw new AssertionError(name + " not healthy within " + HEALTHY_WITHIN.toSeconds() + " s; see " + log);
    }

    /** The body of a GET on 127.0.0.1:{@code port}, or "" when the service does not answer. */
    public static String get(int port, String path) {
        try {
            return getResponse(port, path).body();
        } catch (Exception e) {
            return "";
        }
    }

    public static HttpResponse<String> getResponse(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
