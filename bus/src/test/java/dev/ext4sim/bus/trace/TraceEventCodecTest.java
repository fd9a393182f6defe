package dev.ext4sim.bus.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TraceEventCodecTest {

    @Test
    void roundTripKeepsEveryFieldAndTheFieldOrder() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("dev", "8,1");
        fields.put("ino", 12);
        fields.put("pos", 0);
        fields.put("len", 4096);
        TraceEvent sent = new TraceEvent(105_123_456_789L, "demo", 1234, 1, "ext4", "ext4_da_write_begin", fields,
                "dev 8,1 ino 12 pos 0 len 4096", "c0ffee", "ext4");

        TraceEvent got = TraceEventCodec.decode(TraceEventCodec.encode(sent));

        assertThat(got).isEqualTo(sent);
        assertThat(got.fields().keySet()).containsExactly("dev", "ino", "pos", "len");
    }

    @Test
    void garbageIsIllegalArgument() {
        assertThatThrownBy(() -> TraceEventCodec.decode("{\"timestampNanos\":".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a trace event");
    }

    @Test
    void taskDefaultsAndLimits() {
        assertThat(new Task(null, 5).comm()).isEqualTo("<...>");
        assertThat(new Task("", 5).comm()).isEqualTo("<...>");
        assertThat(new Task("123456789012345", 5).comm()).isEqualTo("123456789012345");
        assertThat(new Task("demo", 1234)).hasToString("demo-1234");
        assertThatThrownBy(() -> new Task("demo", -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void traceIdsAreSixteenHexDigits() {
        assertThat(TraceContext.newTraceId()).matches("[0-9a-f]{16}");
        assertThat(TraceContext.of(new Task("demo", 1)).task()).isEqualTo(new Task("demo", 1));
    }
}
