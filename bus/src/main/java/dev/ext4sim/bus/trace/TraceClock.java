package dev.ext4sim.bus.trace;

import java.time.Instant;

/**
 * The trace clock: nanoseconds since the simulated machine booted. Every service of one run shares the boot
 * instant (the launcher passes it in EXT4SIM_BOOT_EPOCH_NANOS), so timestamps from different processes order.
 */
@FunctionalInterface
public interface TraceClock {
    long nanosSinceBoot();

    static TraceClock since(long bootEpochNanos) {
        return () -> {
            Instant now = Instant.now();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano() - bootEpochNanos;
        };
    }

    /** The boot instant from the environment, or this process's start when run alone. */
    static long bootEpochNanos() {
        String env = System.getenv("EXT4SIM_BOOT_EPOCH_NANOS");
        if (env != null && !env.isBlank()) {
            try {
                return Long.parseLong(env.trim());
            } catch (NumberFormatException ignored) {
                // fall through to the process start
            }
        }
        Instant start = ProcessHandle.current().info().startInstant().orElseGet(Instant::now);
        return start.getEpochSecond() * 1_000_000_000L + start.getNano();
    }
}
