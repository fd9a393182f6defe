package dev.ext4sim.launcher.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.ext4sim.launcher.Component;
import dev.ext4sim.launcher.LauncherIT;
import dev.ext4sim.launcher.Rest;
import dev.ext4sim.launcher.Settings;
import dev.ext4sim.launcher.Stack;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml's stack against the local one (./ext4sim up), one after the other in one run: time from up to a
 * healthy gateway (first start with a fresh volume, and a start again with the volume kept), resident memory of every
 * process or container, and the seed fsync's latency after the same warm-up on each. Prints; asserts nothing about
 * speed. Not part of ./ext4sim test (its name does not end in IT); run it with
 * <pre>
 * ./mvnw -B -pl launcher -am verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test=ContainersBenchmark -Dfailsafe.failIfNoSpecifiedTests=false
 * </pre>
 */
class ContainersBenchmark {
    static final String PROJECT = "ext4sim-containers-bench";
    static final int WARMUP = 300;
    static final int MEASURED = 300;

    @Test
    void containersAgainstTheLocalStack() throws Exception {
        assumeThat(ComposeStack.engineAnswers()).as("no Docker engine answers").isTrue();
        Path root = Path.of(System.getProperty("user.dir")).getParent();
        List<String> report = new ArrayList<>();

        long t = System.nanoTime();
        ComposeStack.buildImages(root, Duration.ofMinutes(15));
        report.add(String.format("images (base and Prometheus kept, ext4sim rebuilt): %.1f s", seconds(t)));

        ComposeStack.removeLeftovers(PROJECT);
        int http = ContainersIT.freePort();
        t = System.nanoTime();
        try (ComposeStack stack = ComposeStack.up(root.resolve("docker-compose.yml"), PROJECT, Map.of(
                "EXT4SIM_HTTP_PORT", Integer.toString(http),
                "EXT4SIM_PROMETHEUS_PORT", Integer.toString(ContainersIT.freePort())))) {
            awaitHealthy(stack);
            report.add(String.format("containers: up to a healthy gateway, fresh volume (mkfs): %.1f s", seconds(t)));
            report.add("containers: " + fsyncs(new Rest(http)));
            Map<String, Long> memory = stack.memory(ContainersIT.SERVICES);
            report.add("containers: memory " + total(memory) + " MiB " + mib(memory));

            stack.stop(ContainersIT.STOP_ORDER);
            t = System.nanoTime();
            for (String s : ContainersIT.STOP_ORDER.reversed()) {
                stack.start(s);
            }
            awaitHealthy(stack);
            report.add(String.format("containers: stop, then start again with the volume kept: healthy in %.1f s", seconds(t)));
        }

        Path home = Files.createTempDirectory(root.resolve("launcher/target"), "bench-local-");
        int base = LauncherIT.freePortBlock(10);
        Settings settings = new Settings(root, home, base, base + 8, base + 6, "");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Stack local = new Stack(settings, new PrintStream(out, true, StandardCharsets.UTF_8));
        t = System.nanoTime();
        try {
            assertThat(local.up()).as(out.toString(StandardCharsets.UTF_8)).isZero();
            report.add(String.format("local: ./ext4sim up to healthy, fresh image: %.1f s", seconds(t)));
            report.add("local: " + fsyncs(new Rest(settings.port(Component.SERVICES.getFirst()))));
            Map<String, Long> memory = new LinkedHashMap<>();
            for (Component c : Component.supervised()) {
                resident(settings.run().resolve(c.name() + ".pid")).ifPresent(b -> memory.put(c.name(), b));
            }
            report.add("local: memory " + total(memory) + " MiB " + mib(memory));
        } finally {
            local.down();
        }
        System.out.println("---- containers against the local stack ----");
        report.forEach(System.out::println);
    }

    static String fsyncs(Rest rest) throws Exception {
        Rest.Caller caller = rest.as("bench-seed", 4242);
        ContainersIT.seedFsyncs(caller, "/warmup", WARMUP);
        long[] us = ContainersIT.seedFsyncs(caller, "/hello", MEASURED);
        return String.format("seed fsync after an overwrite, %d calls after %d: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms",
                MEASURED, WARMUP, us[us.length / 2] / 1e3, us[us.length * 9 / 10] / 1e3, us[us.length * 99 / 100] / 1e3);
    }

    static void awaitHealthy(ComposeStack stack) throws InterruptedException {
        assertThat(ComposeStack.await(Duration.ofMinutes(5), Duration.ofMillis(250), () -> stack.healthy("gateway")))
                .as("gateway healthy; its log:%n%s", stack.logs("gateway")).isTrue();
    }

    /** VmRSS of the process in a launcher pid file ("pid start-millis"), in bytes. */
    static Optional<Long> resident(Path pidFile) {
        try {
            long pid = Long.parseLong(Files.readString(pidFile).trim().split("\\s+")[0]);
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Optional.of(Long.parseLong(line.replaceAll("\\D", "")) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    static long total(Map<String, Long> bytes) {
        return bytes.values().stream().mapToLong(Long::longValue).sum() >> 20;
    }

    static String mib(Map<String, Long> bytes) {
        return bytes.entrySet().stream().map(e -> e.getKey() + " " + (e.getValue() >> 20)).toList().toString();
    }

    static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
