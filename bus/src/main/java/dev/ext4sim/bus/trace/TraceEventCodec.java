package dev.ext4sim.bus.trace;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/** Trace events as JSON record values on the trace topic. */
public final class TraceEventCodec {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private TraceEventCodec() {
    }

    public static byte[] encode(TraceEvent event) {
        return JSON.writeValueAsBytes(event);
    }

    /** @throws IllegalArgumentException when the bytes are not a trace event */
    public static TraceEvent decode(byte[] bytes) {
        try {
            return JSON.readValue(bytes, TraceEvent.class);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("not a trace event: " + e.getOriginalMessage(), e);
        }
    }
}
