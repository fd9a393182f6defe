package dev.ext4sim.bus.call;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The two codecs a call needs: JSON for small records (readable on the topic), raw bytes for block data, which
 * travels as the record value itself and never as base64 inside JSON.
 */
public final class Codecs {
    static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private static final Codec<byte[]> BYTES = new Codec<>() {
        @Override
        public byte[] encode(byte[] value) {
            return value;
        }

        @Override
        public byte[] decode(byte[] bytes) {
            return bytes;
        }
    };

    private Codecs() {
    }

    public static Codec<byte[]> bytes() {
        return BYTES;
    }

    public static <T> Codec<T> json(Class<T> type) {
        return new Codec<>() {
            @Override
            public byte[] encode(T value) {
                return JSON.writeValueAsBytes(value);
            }

            @Override
            public T decode(byte[] bytes) {
                try {
                    T value = JSON.readValue(bytes, type);
                    if (value == null) {
                        throw new IllegalArgumentException("empty body where a " + type.getSimpleName() + " was expected");
                    }
                    return value;
                } catch (JacksonException e) {
                    throw new IllegalArgumentException("not a " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
                }
            }
        };
    }
}
