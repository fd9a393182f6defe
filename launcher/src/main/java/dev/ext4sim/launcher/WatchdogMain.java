package dev.ext4sim.launcher;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The watchdog process `./ext4sim up` leaves running beside the stack: every 100 ms a {@link Watchdog#tick}, and
 * its records in run/watchdog.properties for `status`. `down` stops it (SIGTERM) before the processes it watches.
 */
public final class WatchdogMain {
    static final long POLL_MILLIS = 100;

    private WatchdogMain() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]).toAbsolutePath().normalize();
        Settings settings = Settings.fromEnvironment(root).withRecordedPorts();
        Supervisor supervisor = new Supervisor(settings);
        Stack stack = new Stack(settings, System.out);
        Watchdog watchdog = new Watchdog(Component.supervised(), new Watchdog.Processes() {
            @Override
            public boolean expected(Component c) {
                return supervisor.expected(c);
            }

            @Override
            public boolean running(Component c) {
                return supervisor.running(c).isPresent();
            }

            @Override
            public void kill(Component c) {
                supervisor.running(c).ifPresent(ProcessHandle::destroyForcibly);
            }

            @Override
            public boolean held() {
                return Files.exists(hold(settings));
            }

            @Override
            public boolean start(Component c) {
                try {
                    return stack.start(c.name()) == 0;
                } catch (IOException e) {
                    System.out.println("could not start " + c.name() + ": " + e);
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }, System::nanoTime, InstantSource.system(), System.out, r -> Thread.ofVirtual().name("watchdog-start").start(r));
        System.out.println("watching " + Component.supervised().stream().map(Component::name).toList() + " in "
                + settings.home());
        Map<Component, Watchdog.Record> written = Map.of();
        while (!Thread.currentThread().isInterrupted()) {
            watchdog.tick();
            Map<Component, Watchdog.Record> records = watchdog.records();
            if (!records.equals(written)) {
                write(settings, records);
                written = records;
            }
            Thread.sleep(POLL_MILLIS); // the polling pace of a process table; there is no event to wait for
        }
    }

    /** While this file exists, the watchdog starts nothing again (./ext4sim chaos, copying a dead device's image). */
    static Path hold(Settings settings) {
        return settings.run().resolve("watchdog.hold");
    }

    static Path file(Settings settings) {
        return settings.run().resolve("watchdog.properties");
    }

    static void write(Settings settings, Map<Component, Watchdog.Record> records) throws IOException {
        Properties p = new Properties();
        records.forEach((c, r) -> {
            p.setProperty(c.name() + ".restarts", String.valueOf(r.restarts()));
            p.setProperty(c.name() + ".last_recovery_ms", String.valueOf(r.lastRecoveryMillis()));
            p.setProperty(c.name() + ".gave_up", String.valueOf(r.gaveUp()));
        });
        Path tmp = file(settings).resolveSibling("watchdog.properties.tmp");
        try (Writer w = Files.newBufferedWriter(tmp)) {
            p.store(w, "what the watchdog restarted");
        }
        Files.move(tmp, file(settings), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The records the running watchdog wrote last; empty when there are none. */
    static Map<String, Watchdog.Record> read(Settings settings) {
        Map<String, Watchdog.Record> records = new LinkedHashMap<>();
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file(settings))) {
            p.load(r);
        } catch (IOException e) {
            return records;
        }
        for (Component c : Component.supervised()) {
            String restarts = p.getProperty(c.name() + ".restarts");
            if (restarts != null) {
                records.put(c.name(), new Watchdog.Record(Integer.parseInt(restarts),
                        Long.parseLong(p.getProperty(c.name() + ".last_recovery_ms", "-1")),
                        Boolean.parseBoolean(p.getProperty(c.name() + ".gave_up")), 0));
            }
        }
        return records;
    }
}
