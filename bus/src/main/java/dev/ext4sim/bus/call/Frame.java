package dev.ext4sim.bus.call;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one Kafka record carries, without Kafka's types: headers (routing, version, trace context) and the value
 * (the message bytes). Routing lives in headers so that a body of an unknown version can still be answered.
 */
public record Frame(Map<String, byte[]> headers, byte[] value) {
    public Frame {
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        value = value == null ? new byte[0] : value;
    }

    public byte[] header(String name) {
        return headers.get(name);
    }
}
