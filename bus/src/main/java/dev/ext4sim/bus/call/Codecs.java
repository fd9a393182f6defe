package dev.ext4sim.bus.call;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Function;
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

    /** Builds a value back from its JSON header and its raw data. */
    public interface Joiner<H, T> {
        T join(H header, byte[] data);
    }

    /**
     * A small JSON header followed by raw data, for calls that carry blocks beside their fields:
     * [4-byte big-endian header length][JSON header][raw data].
     */
    public static <T, H> Codec<T> framed(Class<H> headerType, Function<T, H> header, Joiner<H, T> join,
                                         Function<T, byte[]> data) {
        Codec<H> json = json(headerType);
        return new Codec<>() {
            @Override
            public byte[] encode(T value) {
                byte[] h = json.encode(header.apply(value));
                byte[] d = data.apply(value);
                return ByteBuffer.allocate(4 + h.length + d.length).putInt(h.length).put(h).put(d).array();
            }

            @Override
            public T decode(byte[] bytes) {
                if (bytes == null || bytes.length < 4) {
                    throw new IllegalArgumentException("a framed record starts with a 4-byte header length, got "
                            + (bytes == null ? 0 : bytes.length) + " bytes");
                }
                int n = ByteBuffer.wrap(bytes).getInt();
                if (n < 0 || n > bytes.length - 4) {
                    throw new IllegalArgumentException("header length " + n + " does not fit a record of " + bytes.length + " bytes");
                }
                H h = json.decode(Arrays.copyOfRange(bytes, 4, 4 + n));
                return join.join(h, Arrays.copyOfRange(bytes, 4 + n, bytes.length));
            }
        };
    }
}
