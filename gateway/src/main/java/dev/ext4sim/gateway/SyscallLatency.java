package dev.ext4sim.gateway;

import dev.ext4sim.bus.ErrnoException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The latency of each system call at the edge, from the gateway's call into vfs to the answer
 * (observability.md §8: "a latency histogram spanning VFS entry → filesystem return"), as
 * {@code ext4sim_syscall_seconds{call="fsync",errno="0"}}: the fsync panel next to jbd2's commit time, what
 * ext4dist shows per operation. It replaces Spring's per-request http.server.requests observation on these paths,
 * which cost more than the bus hop it would time.
 */
final class SyscallLatency {
    static final String NAME = "ext4sim.syscall";

    private final MeterRegistry registry;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    SyscallLatency(MeterRegistry registry) {
        this.registry = registry;
    }

    <R> R time(String call, Supplier<R> syscall) {
        long start = System.nanoTime();
        String errno = "0";
        try {
            return syscall.get();
        } catch (ErrnoException e) {
            errno = e.errno().name();
            throw e;
        } finally {
            timer(call, errno).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    private Timer timer(String call, String errno) {
        return timers.computeIfAbsent(call + ' ' + errno, k -> Timer.builder(NAME)
                .description("System call latency at the gateway: vfs entry to filesystem return")
                .tag("call", call)
                .tag("errno", errno)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry));
    }
}
