package dev.ext4sim.bus.trace;

import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Travels with every call: the trace id of the REST call that caused it, and the task on whose behalf the
 * work runs (a system call runs in its caller's task, so every hop of a write() traces as the writer).
 */
public record TraceContext(String traceId, Task task) {
    public TraceContext {
        Objects.requireNonNull(traceId);
        Objects.requireNonNull(task);
    }

    public static String newTraceId() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    }

    public static TraceContext of(Task task) {
        return new TraceContext(newTraceId(), task);
    }
}
