package dev.ext4sim.bus.call;

import java.util.Objects;

/**
 * A one-way event: nobody answers it, every interested service gets it (e.g. blockdev announcing a device, which
 * writeback answers by creating the device's bdi_writeback). Name and schema version travel in headers, as a call's.
 */
public record EventType<T>(String name, int version, Codec<T> codec) {
    public EventType {
        Objects.requireNonNull(name);
        Objects.requireNonNull(codec);
        if (version < 1) {
            throw new IllegalArgumentException("schema version starts at 1");
        }
    }

    public static <T> EventType<T> json(String name, int version, Class<T> type) {
        return new EventType<>(name, version, Codecs.json(type));
    }
}
