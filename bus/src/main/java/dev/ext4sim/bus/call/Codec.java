package dev.ext4sim.bus.call;

/** Turns one message type into the bytes of a record value and back. */
public interface Codec<T> {
    byte[] encode(T value);

    /** @throws IllegalArgumentException when the bytes are not a T */
    T decode(byte[] bytes);
}
