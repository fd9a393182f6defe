package dev.ext4sim.launcher;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Where a stack lives and which ports it uses. The ports are written to run/ports.properties at `up`, so that
 * `status`, `kill` and `start` talk to the stack that is running even if the environment changed since.
 *
 * @param root the repository (the services' jars are under ROOT/MODULE/target)
 * @param home the data folder: kafka/, logs/, run/, prometheus/, sda.img
 * @param prometheusPort where the local Prometheus listens; 0 runs none
 */
public record Settings(Path root, Path home, int httpPort, int kafkaPort, int prometheusPort, String javaOpts) {

    /** A stack without Prometheus. */
    public Settings(Path root, Path home, int httpPort, int kafkaPort, String javaOpts) {
        this(root, home, httpPort, kafkaPort, 0, javaOpts);
    }

    public Path logs() {
        return home.resolve("logs");
    }

    public Path run() {
        return home.resolve("run");
    }

    /** The disk sda: the ext4 image that blockdev-service serves. */
    public Path image() {
        return home.resolve("sda.img");
    }

    public Path kafkaData() {
        return home.resolve("kafka");
    }

    public int controllerPort() {
        return kafkaPort + 1;
    }

    public String bootstrap() {
        return "127.0.0.1:" + kafkaPort;
    }

    /** Prometheus's configuration (rendered at each start) and its TSDB. */
    public Path prometheusHome() {
        return home.resolve("prometheus");
    }

    public int port(Component c) {
        return switch (c.kind()) {
            case SERVICE -> httpPort + c.portOffset();
            case BROKER -> kafkaPort;
            case PROMETHEUS -> prometheusPort;
        };
    }

    public Path log(Component c) {
        return logs().resolve(c.name() + ".log");
    }

    public Path jar(Component c) {
        return root.resolve(c.name()).resolve("target").resolve(c.name() + "-exec.jar");
    }

    /** The ports of the running stack if there is one, else those asked for. */
    public Settings withRecordedPorts() {
        Path file = run().resolve("ports.properties");
        if (!Files.exists(file)) {
            return this;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
            return new Settings(root, home, Integer.parseInt(p.getProperty("http")),
                    Integer.parseInt(p.getProperty("kafka")),
                    Integer.parseInt(p.getProperty("prometheus", String.valueOf(prometheusPort))), javaOpts);
        } catch (IOException | RuntimeException e) {
            return this;
        }
    }

    public void recordPorts() throws IOException {
        Files.createDirectories(run());
        Properties p = new Properties();
        p.setProperty("http", String.valueOf(httpPort));
        p.setProperty("kafka", String.valueOf(kafkaPort));
        p.setProperty("prometheus", String.valueOf(prometheusPort));
        try (Writer w = Files.newBufferedWriter(run().resolve("ports.properties"))) {
            p.store(w, "ports of the stack started by ./ext4sim up");
        }
    }

    /**
     * From the environment: EXT4SIM_HOME, EXT4SIM_HTTP_PORT, EXT4SIM_KAFKA_PORT, EXT4SIM_PROMETHEUS_PORT,
     * EXT4SIM_PROMETHEUS (off runs no Prometheus), EXT4SIM_JAVA_OPTS.
     */
    public static Settings fromEnvironment(Path root) {
        Path home = Path.of(env("EXT4SIM_HOME", root.resolve(".ext4sim").toString())).toAbsolutePath();
        int prometheus = env("EXT4SIM_PROMETHEUS", "on").equalsIgnoreCase("off") ? 0
                : Integer.parseInt(env("EXT4SIM_PROMETHEUS_PORT", "9090"));
        return new Settings(root, home, Integer.parseInt(env("EXT4SIM_HTTP_PORT", "8080")),
                Integer.parseInt(env("EXT4SIM_KAFKA_PORT", "9092")), prometheus, env("EXT4SIM_JAVA_OPTS", ""));
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }
}
