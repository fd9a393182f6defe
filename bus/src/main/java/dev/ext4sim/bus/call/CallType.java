package dev.ext4sim.bus.call;

import java.util.Objects;

/**
 * One call a service answers: its name on the wire, the schema version of its messages, and their codecs.
 * A service refuses a version it does not speak instead of guessing at the bytes.
 */
public record CallType<Q, R>(String name, int version, Codec<Q> requestCodec, Codec<R> replyCodec) {
    public CallType {
        Objects.requireNonNull(name);
        Objects.requireNonNull(requestCodec);
        Objects.requireNonNull(replyCodec);
        if (version < 1) {
            throw new IllegalArgumentException("schema version starts at 1");
        }
    }

    public static <Q, R> CallType<Q, R> json(String name, int version, Class<Q> request, Class<R> reply) {
        return new CallType<>(name, version, Codecs.json(request), Codecs.json(reply));
    }
}
