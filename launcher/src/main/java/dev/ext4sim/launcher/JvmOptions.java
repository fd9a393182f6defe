package dev.ext4sim.launcher;

import java.util.ArrayList;
import java.util.List;

/**
 * JVM flags per process, chosen for a quick start and a small footprint on a 2-core machine: the serial collector
 * (no GC threads to share two cores with), small heaps, and, for the services, C1 only (most of a service's start is
 * spent interpreting and compiling start-up code that never runs again).
 */
final class JvmOptions {
    private JvmOptions() {
    }

    static List<String> of(Component c, Settings settings) {
        List<String> opts = new ArrayList<>();
        opts.add("-XX:+UseSerialGC");
        opts.add("-Xss512k");
        if (c.service()) {
            opts.add("-Xmx256m");
            opts.add("-XX:TieredStopAtLevel=1");
        } else {
            opts.add("-Xmx512m");
        }
        if (!settings.javaOpts().isBlank()) {
            opts.addAll(List.of(settings.javaOpts().trim().split("\\s+")));
        }
        return opts;
    }
}
