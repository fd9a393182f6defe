package dev.ext4sim.launcher;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Starts the stack's processes (JVMs, and Prometheus where installed) detached from the terminal (setsid), each with
 * its log file and a pid file, and stops or kills them by that pid file. A pid file also records the process's start
 * time, so a pid that the system reused for another program is never signalled.
 */
final class Supervisor {
    static final String HOME_MARK = "-Dext4sim.home=";

    private final Settings settings;

    Supervisor(Settings settings) {
        this.settings = settings;
    }

    Optional<ProcessHandle> running(Component c) {
        return running(pidFile(c));
    }

    /** Its pid file is there: it was started and nobody stopped it (a killed process's pid file stays). */
    boolean expected(Component c) {
        return Files.exists(pidFile(c));
    }

    /** The process a pid file ("pid start-millis") names, if it still runs (the same process, not a reused pid). */
    static Optional<ProcessHandle> running(Path file) {
        try {
            String[] parts = Files.readString(file).trim().split("\\s+");
            long pid = Long.parseLong(parts[0]);
            long started = Long.parseLong(parts[1]);
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(h -> h.info().startInstant().map(Instant::toEpochMilli).orElse(started) == started);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    ProcessHandle spawn(Component c, long bootEpochNanos) throws IOException {
        Files.createDirectories(settings.logs());
        Files.createDirectories(settings.run());
        List<String> cmd = new ArrayList<>();
        if (new File("/usr/bin/setsid").canExecute()) {
            cmd.add("/usr/bin/setsid"); // its own session: closing the terminal does not take the stack down
        }
        if (c.kind() == Component.Kind.PROMETHEUS) {
            cmd.addAll(Prometheus.command(Prometheus.binary()
                    .orElseThrow(() -> new IOException("no prometheus program on PATH")), settings));
        } else {
            cmd.addAll(java(c));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(settings.home().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(settings.log(c).toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("EXT4SIM_BOOT_EPOCH_NANOS", String.valueOf(bootEpochNanos));
        pb.environment().put("EXT4SIM_HOME", settings.home().toString());
        if (c.service()) {
            pb.environment().put("EXT4SIM_ADMIN_TOKEN", AdminToken.ensure(settings));
        }
        Process p = pb.start();
        ProcessHandle handle = p.toHandle();
        long started = handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        Files.writeString(pidFile(c), handle.pid() + " " + started + "\n");
        return handle;
    }

    /** The broker's or a service's JVM, marked with the data folder it belongs to. */
    private List<String> java(Component c) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add(HOME_MARK + settings.home());
        cmd.addAll(JvmOptions.of(c, settings));
        if (c.service()) {
            StartupCache cache = new StartupCache(settings, System.out);
            if (cache.ready(c)) {
                cmd.add("-XX:AOTCache=" + cache.cache(c));
                cmd.add("-jar");
                cmd.add(cache.extractedJar(c).toString());
            } else {
                cmd.add("-jar");
                cmd.add(settings.jar(c).toString());
            }
            cmd.add("--server.port=" + settings.port(c));
            cmd.add("--spring.kafka.bootstrap-servers=" + settings.bootstrap());
        } else {
            cmd.add("-Dlogback.configurationFile=logback-broker.xml");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path")); // launcher.jar, whose manifest lists lib/; or a test's path
            cmd.add(BrokerMain.class.getName());
            cmd.add(settings.kafkaData().toString());
            cmd.add(String.valueOf(settings.kafkaPort()));
            cmd.add(String.valueOf(settings.controllerPort()));
        }
        return cmd;
    }

    /** SIGTERM, then SIGKILL once the grace period is over. */
    boolean stop(Component c, Duration grace) {
        Optional<ProcessHandle> handle = running(c);
        if (handle.isEmpty()) {
            deletePidFile(c);
            return false;
        }
        ProcessHandle h = handle.get();
        h.destroy();
        try {
            h.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            h.destroyForcibly();
            h.onExit().join();
        }
        deletePidFile(c);
        return true;
    }

    /** SIGKILL at once: a crash, for chaos testing. The pid file stays, as a dead process's would. */
    Optional<Long> kill(Component c) {
        Optional<ProcessHandle> handle = running(c);
        handle.ifPresent(h -> {
            h.destroyForcibly();
            h.onExit().join();
        });
        return handle.map(ProcessHandle::pid);
    }

    /**
     * Processes of this stack's home that no pid file knows of (a pid file lost or overwritten): the JVMs by their
     * -Dext4sim.home=, Prometheus by its TSDB in the data folder.
     */
    List<ProcessHandle> strays() {
        List<String> marks = List.of(HOME_MARK + settings.home(), Prometheus.mark(settings));
        return ProcessHandle.allProcesses()
                .filter(h -> h.pid() != ProcessHandle.current().pid())
                .filter(h -> h.info().arguments().map(a -> List.of(a).stream().anyMatch(marks::contains)).orElse(false))
                .toList();
    }

    private Path pidFile(Component c) {
        return settings.run().resolve(c.name() + ".pid");
    }

    private void deletePidFile(Component c) {
        try {
            Files.deleteIfExists(pidFile(c));
        } catch (IOException ignored) {
            // a stale pid file is verified by start time before use
        }
    }

}
