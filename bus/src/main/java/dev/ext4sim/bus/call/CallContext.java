package dev.ext4sim.bus.call;

import dev.ext4sim.bus.trace.TraceContext;
import java.time.Duration;

/**
 * What a handler knows about the call it serves: whose work it is (trace) and how long the caller still waits,
 * so that a call it makes downstream gives up before its own caller does.
 */
public record CallContext(String call, TraceContext trace, long deadlineEpochMillis, dev.ext4sim.bus.Time time) {

    /** Time to answer before the caller gives up. */
    public Duration remaining() {
        return Duration.ofMillis(Math.max(0, deadlineEpochMillis - time.currentTimeMillis()));
    }

    /**
     * The timeout for a call this handler makes: a little shorter than its own, so that when a service further
     * down does not answer, the error that reaches the user names that service, not the first hop.
     */
    public Duration downstreamTimeout() {
        return Duration.ofMillis(Math.max(0, deadlineEpochMillis - time.currentTimeMillis() - HOP_MARGIN_MILLIS));
    }

    static final long HOP_MARGIN_MILLIS = 300;
}
