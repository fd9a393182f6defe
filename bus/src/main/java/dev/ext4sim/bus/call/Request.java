package dev.ext4sim.bus.call;

import dev.ext4sim.bus.trace.TraceContext;
import java.util.UUID;

/** A call on the wire: which call, at which schema version, who waits for the answer and until when. */
public record Request(String call, int version, UUID id, String replyTo, long deadlineEpochMillis,
                      TraceContext trace, byte[] body) {
}
