package dev.ext4sim.bus.call;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CodecsTest {
    record WriteBegin(int major, int minor, long ino, long pos, int len, String comm, List<String> flags) {
    }

    record Counter(long value) {
    }

    @Test
    void jsonRoundTripOfARecord() {
        Codec<WriteBegin> codec = Codecs.json(WriteBegin.class);
        WriteBegin sent = new WriteBegin(8, 1, 12L, 1L << 40, 4096, "démo ✓", List.of("CREATE", "DELALLOC"));

        byte[] bytes = codec.encode(sent);

        assertThat(codec.decode(bytes)).isEqualTo(sent);
        assertThat(new String(bytes, StandardCharsets.UTF_8)).contains("\"ino\":12").contains("\"len\":4096");
    }

    @Test
    void bytesCodecPassesABlockThroughUnchanged() {
        byte[] block = new byte[4096];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i * 7 + (i >> 8));
        }
        for (int v = 0; v < 256; v++) {
            block[v] = (byte) v; // every byte value, 0x00 to 0xff
        }
        byte[] copy = block.clone();

        byte[] encoded = Codecs.bytes().encode(block);
        byte[] decoded = Codecs.bytes().decode(encoded);

        assertThat(encoded).hasSize(4096).isEqualTo(copy);
        assertThat(decoded).isEqualTo(copy);
    }

    @Test
    void garbageJsonIsIllegalArgument() {
        Codec<WriteBegin> codec = Codecs.json(WriteBegin.class);

        assertThatThrownBy(() -> codec.decode("{not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("WriteBegin");
        assertThatThrownBy(() -> codec.decode(new byte[] {(byte) 0xff, 0, 1}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jsonNullIsIllegalArgument() {
        assertThatThrownBy(() -> Codecs.json(Counter.class).decode("null".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Counter");
    }

    @Test
    void nullForAPrimitiveIsIllegalArgumentNotZero() {
        assertThatThrownBy(() -> Codecs.json(Counter.class).decode("{\"value\":null}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void wrongShapeIsIllegalArgument() {
        assertThatThrownBy(() -> Codecs.json(Counter.class).decode("[1,2]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jsonCallTypeUsesJsonCodecsAndRefusesVersionZero() {
        CallType<Counter, Counter> type = CallType.json("count", 1, Counter.class, Counter.class);

        assertThat(type.replyCodec().decode(type.requestCodec().encode(new Counter(42)))).isEqualTo(new Counter(42));
        assertThatThrownBy(() -> CallType.json("count", 0, Counter.class, Counter.class))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
