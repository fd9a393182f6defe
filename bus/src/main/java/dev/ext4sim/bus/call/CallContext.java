package dev.ext4sim.bus.call;

import dev.ext4sim.bus.trace.TraceContext;
import java.time.Duration;

/**
 * What a handler knows about the call it serves: whose work it is (trace) and how long the caller still waits,
 * so that a call it makes downstream gives up before its own caller does.
 */
public record CallContext(String call, TraceContext trace, long deadlineEpochMillis, dev.ext4sim.bus.Time time) {

    public Duration remaining() {
        return Duration.ofMillis(Math.max(0, deadlineEpochMillis - time.currentTimeMillis()));
    }
}
