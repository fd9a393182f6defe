package dev.ext4sim.launcher.containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.Statistics;
import com.github.dockerjava.api.model.StreamType;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.DockerComposeContainer;
import org.testcontainers.lifecycle.Startable;

/**
 * The repository's docker-compose.yml run by Testcontainers with the Compose CLI this machine has: Compose v2
 * ({@code docker compose}, {@link ComposeContainer}) where it is installed, else docker-compose 1.29
 * ({@link DockerComposeContainer}). Nothing is pulled: the images are the ones docker/build-images.sh made. The
 * containers are then driven as `docker compose kill/start/stop` drive them, through the engine's API, and found by
 * the labels both CLIs put on them.
 *
 * <p>Ryuk cannot be pulled here, so the test's environment disables it (TESTCONTAINERS_RYUK_DISABLED) and this class
 * cleans up itself: {@link #down} removes the containers, network and volumes, and {@link #removeLeftovers} those of
 * an earlier run that died before its own down.
 */
final class ComposeStack implements AutoCloseable {
    private static final String PROJECT_LABEL = "com.docker.compose.project";
    private static final String SERVICE_LABEL = "com.docker.compose.service";

    private final String identifier;
    private final Startable compose;
    private final DockerClient docker;

    private ComposeStack(String identifier, Startable compose) {
        this.identifier = identifier;
        this.compose = compose;
        this.docker = DockerClientFactory.instance().client();
    }

    /** Whether an engine answers; when none does the caller skips, saying so. */
    static boolean engineAnswers() {
        return DockerClientFactory.instance().isDockerAvailable();
    }

    /**
     * Runs docker/build-images.sh (the work of ./ext4sim images, after Maven built the jars), its progress on stdout.
     */
    static void buildImages(Path root, Duration atMost) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(root.resolve("docker/build-images.sh").toString())
                .directory(root.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        p.getOutputStream().close();
        // through System.out, line by line: the test JVM's own stdout is its channel to Maven
        Thread.ofVirtual().start(() -> p.inputReader().lines().forEach(l -> System.out.println("  " + l)));
        if (!p.waitFor(atMost.toSeconds(), TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("docker/build-images.sh did not finish in " + atMost.toSeconds() + " s");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("docker/build-images.sh failed (exit " + p.exitValue() + "); its output is above");
        }
    }

    /** {@code up -d} of every service outside a profile; returns when up returns, before the services are healthy. */
    static ComposeStack up(Path composeFile, String identifier, Map<String, String> env) {
        File file = composeFile.toFile();
        Startable compose = composeV2()
                ? new ComposeContainer(identifier, file).withEnv(env).withPull(false).withBuild(false)
                        .withRemoveVolumes(true).withStartupTimeout(Duration.ofMinutes(5))
                : new DockerComposeContainer<>(identifier, file).withEnv(env).withPull(false).withBuild(false)
                        .withRemoveVolumes(true).withStartupTimeout(Duration.ofMinutes(5));
        ComposeStack stack = new ComposeStack(identifier.toLowerCase(), compose);
        compose.start();
        return stack;
    }

    /** Compose v2 when `docker compose version` works; else docker-compose, which must then be installed. */
    static boolean composeV2() {
        if (succeeds("docker", "compose", "version")) {
            return true;
        }
        if (succeeds("docker-compose", "version")) {
            return false;
        }
        throw new AssertionError("neither `docker compose` (Compose v2) nor `docker-compose` runs here; install one "
                + "(on Debian: apt-get install -y docker-compose)");
    }

    private static boolean succeeds(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The id of the service's container, running or not. */
    String id(String service) {
        List<Container> found = docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(SERVICE_LABEL, service)).exec().stream()
                .filter(c -> c.getLabels().getOrDefault(PROJECT_LABEL, "").startsWith(identifier))
                .toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one container of " + service + " in project " + identifier + "*, found "
                    + found.size());
        }
        return found.getFirst().getId();
    }

    InspectContainerResponse.ContainerState state(String service) {
        return docker.inspectContainerCmd(id(service)).exec().getState();
    }

    boolean healthy(String service) {
        var state = state(service);
        return Boolean.TRUE.equals(state.getRunning()) && state.getHealth() != null
                && "healthy".equals(state.getHealth().getStatus());
    }

    /** `docker compose kill SERVICE`: SIGKILL, no restart by the policy (the engine counts it as stopped by hand). */
    void kill(String service) {
        docker.killContainerCmd(id(service)).withSignal("KILL").exec();
    }

    /** `docker compose start SERVICE`. */
    void start(String service) {
        docker.startContainerCmd(id(service)).exec();
    }

    /** `docker compose stop`, one service at a time in the order given, each with the file's grace period. */
    void stop(List<String> services) {
        for (String s : services) {
            docker.stopContainerCmd(id(s)).withTimeout(30).exec();
        }
    }

    /**
     * {@code bash -c SCRIPT ARGS...} in the service's container (the image has bash, and its /dev/tcp is the only HTTP
     * client there); the first of ARGS is $0.
     */
    Exec bashWithArgs(String service, String script, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", script));
        cmd.addAll(List.of(args));
        var exec = docker.execCreateCmd(id(service)).withCmd(cmd.toArray(String[]::new))
                .withAttachStdout(true).withAttachStderr(true).exec();
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        docker.execStartCmd(exec.getId()).exec(new ResultCallback.Adapter<
                Frame>() {
            @Override
            public void onNext(Frame frame) {
                (frame.getStreamType() == StreamType.STDERR ? err : out)
                        .writeBytes(frame.getPayload());
            }
        }).awaitCompletion(60, TimeUnit.SECONDS);
        Long exit = docker.inspectExecCmd(exec.getId()).exec().getExitCodeLong();
        return new Exec(exit == null ? -1 : exit.intValue(), out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8));
    }

    /** A file out of a container, running or stopped (`docker cp`), to {@code to}. */
    void copyOut(String service, String path, Path to) throws IOException {
        try (InputStream tar = docker.copyArchiveFromContainerCmd(id(service), path).exec();
             var entries = new TarArchiveInputStream(tar)) {
            if (entries.getNextEntry() == null) {
                throw new IOException(path + " is not in " + service + "'s container");
            }
            Files.copy(entries, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Resident memory of each running container of the stack, in bytes, as `docker stats --no-stream` reads it. */
    Map<String, Long> memory(List<String> services) {
        Map<String, Long> usage = new LinkedHashMap<>();
        for (String s : services) {
            var callback = new ResultCallback.Adapter<Statistics>() {
                volatile Statistics last;

                @Override
                public void onNext(Statistics stats) {
                    last = stats;
                }
            };
            try {
                docker.statsCmd(id(s)).withNoStream(true).exec(callback).awaitCompletion(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return usage;
            }
            Statistics st = callback.last;
            if (st != null && st.getMemoryStats() != null && st.getMemoryStats().getUsage() != null) {
                long cache = st.getMemoryStats().getStats() == null || st.getMemoryStats().getStats().getCache() == null
                        ? 0 : st.getMemoryStats().getStats().getCache();
                usage.put(s, st.getMemoryStats().getUsage() - cache);
            }
        }
        return usage;
    }

    /** The end of the service's log, for a failure's message. */
    String logs(String service) {
        return log(docker.logContainerCmd(id(service)).withStdOut(true).withStdErr(true).withTail(60));
    }

    /** What the service logged since a Unix time in seconds, across restarts of its container. */
    String logsSince(String service, long epochSecond) {
        return log(docker.logContainerCmd(id(service)).withStdOut(true).withStdErr(true).withSince((int) epochSecond));
    }

    private static String log(com.github.dockerjava.api.command.LogContainerCmd cmd) {
        StringBuilder text = new StringBuilder();
        try {
            cmd.exec(new ResultCallback.Adapter<Frame>() {
                @Override
                public void onNext(Frame frame) {
                    text.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                }
            }).awaitCompletion(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            text.append("(no log: ").append(e.getMessage()).append(')');
        }
        return text.toString();
    }

    /** `down -v`: containers, network and volumes. */
    void down() {
        compose.stop();
        removeLeftovers(identifier);
    }

    @Override
    public void close() {
        down();
    }

    /** Containers, volumes and networks of projects named identifier*, from a run that ended before its down. */
    static void removeLeftovers(String identifier) {
        DockerClient docker = DockerClientFactory.instance().client();
        String prefix = identifier.toLowerCase();
        for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(List.of(PROJECT_LABEL)).exec()) {
            if (c.getLabels().getOrDefault(PROJECT_LABEL, "").startsWith(prefix)) {
                docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
            }
        }
        for (var v : docker.listVolumesCmd().exec().getVolumes()) {
            if (v.getLabels() != null && v.getLabels().getOrDefault(PROJECT_LABEL, "").startsWith(prefix)) {
                docker.removeVolumeCmd(v.getName()).exec();
            }
        }
        for (var n : docker.listNetworksCmd().exec()) {
            if (n.getLabels() != null && n.getLabels().getOrDefault(PROJECT_LABEL, "").startsWith(prefix)) {
                docker.removeNetworkCmd(n.getId()).exec();
            }
        }
    }

    /** Waits for {@code condition} until {@code deadline}, checking every {@code every}; false when time ran out. */
    static boolean await(Duration atMost, Duration every, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(every.toMillis()); // polling pace of a condition with a deadline
        }
        return true;
    }

    /** What a command run in a container printed, and its exit status. */
    record Exec(int exit, String stdout, String stderr) {
    }
}
