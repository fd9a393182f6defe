package dev.ext4sim.launcher;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A JDK 25 AOT cache per service, made once per build: the service's jar is extracted (a plain classpath starts
 * faster than a nested jar) and started once with -XX:AOTCacheOutput until its context is refreshed, so later
 * starts load and link their classes from the cache. On this 2-core machine a service then starts in about half
 * the time. Without a cache (a failed training run) a service starts from its jar as before.
 */
final class StartupCache {
    private final Settings settings;
    private final PrintStream out;

    StartupCache(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    Path dir(Component c) {
        return settings.root().resolve(c.name()).resolve("target").resolve("aot");
    }

    Path extractedJar(Component c) {
        return dir(c).resolve(c.name() + "-exec.jar");
    }

    Path cache(Component c) {
        return dir(c).resolve(c.name() + ".aot");
    }

    boolean ready(Component c) {
        Path cache = cache(c);
        try {
            return Files.exists(cache) && Files.exists(extractedJar(c))
                    && Files.getLastModifiedTime(cache).compareTo(Files.getLastModifiedTime(settings.jar(c))) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Makes the missing caches, two training runs at a time (one per core). */
    void prepare(List<Component> services) throws InterruptedException {
        List<Component> missing = services.stream().filter(c -> !ready(c)).toList();
        if (missing.isEmpty()) {
            return;
        }
        out.println("making start-up caches for " + missing.size() + " services (once per build)...");
        Semaphore cores = new Semaphore(Math.max(1, Runtime.getRuntime().availableProcessors()));
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> runs = new ArrayList<>();
            for (Component c : missing) {
                runs.add(threads.submit(() -> {
                    cores.acquire();
                    try {
                        long began = System.nanoTime();
                        boolean ok = train(c);
                        out.printf("  %-18s %s in %4.1f s%n", c.name(), ok ? "cached" : "no cache (starts without)",
                                (System.nanoTime() - began) / 1e9);
                    } finally {
                        cores.release();
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    out.println("  start-up cache: " + e.getCause());
                }
            }
        }
    }

    private boolean train(Component c) throws IOException, InterruptedException {
        Path dir = dir(c);
        Files.createDirectories(dir);
        Path log = dir.resolve("training.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        if (run(List.of(java, "-Djarmode=tools", "-jar", settings.jar(c).toString(), "extract", "--force",
                "--destination", dir.toString()), log) != 0) {
            return false;
        }
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:AOTCacheOutput=" + cache(c)));
        cmd.addAll(JvmOptions.of(c, settings));
        // exit once the context is refreshed: every class of the start is loaded, nothing is served
        // ... and with a data folder of its own: blockdev would otherwise create a blank sda.img where the stack's
        // formatted disk belongs
        cmd.addAll(List.of("-Dspring.context.exit=onRefresh", "-jar", extractedJar(c).toString(), "--server.port=0",
                "--spring.kafka.bootstrap-servers=127.0.0.1:9", "--ext4sim.home=" + dir.resolve("training-home")));
        Files.deleteIfExists(cache(c));
        return run(cmd, log) == 0 && Files.exists(cache(c));
    }

    private static int run(List<String> cmd, Path log) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
