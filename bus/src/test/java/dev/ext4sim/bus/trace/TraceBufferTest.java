package dev.ext4sim.bus.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TraceBufferTest {
    private static TraceEvent event(long ts, String name) {
        return new TraceEvent(ts, "demo", 1234, 1, "ext4", name, null, null, "trace-" + ts, "ext4");
    }

    private static List<Long> timestamps(List<TraceEvent> events) {
        return events.stream().map(TraceEvent::timestampNanos).toList();
    }

    @Test
    void capacityDropsTheOldestFirstAndWrittenCountsAll() {
        TraceBuffer buffer = new TraceBuffer(3);
        for (long ts = 1; ts <= 5; ts++) {
            buffer.add(event(ts, "e" + ts));
        }

        assertThat(timestamps(buffer.select(e -> true))).containsExactly(3L, 4L, 5L);
        assertThat(buffer.written()).isEqualTo(5);
    }

    @Test
    void anOverrunOverwritesWhatWasHeldAndCountsAsWritten() {
        TraceBuffer buffer = new TraceBuffer(3);
        buffer.add(event(1, "a"));
        buffer.add(event(2, "b"));
        buffer.overrun(4); // passed over by the reader: they would have pushed a and b out
        buffer.add(event(7, "g"));

        assertThat(timestamps(buffer.select(e -> true))).containsExactly(7L);
        assertThat(buffer.written()).isEqualTo(7);
        buffer.overrun(0);
        assertThat(buffer.written()).isEqualTo(7);
    }

    @Test
    void belowCapacityNothingIsDropped() {
        TraceBuffer buffer = new TraceBuffer(10);
        buffer.add(event(1, "a"));
        buffer.add(event(2, "b"));

        assertThat(timestamps(buffer.select(e -> true))).containsExactly(1L, 2L);
        assertThat(buffer.written()).isEqualTo(2);
    }

    @Test
    void selectFiltersInInsertionOrder() {
        TraceBuffer buffer = new TraceBuffer(10);
        buffer.add(event(3, "ext4_da_write_begin"));
        buffer.add(event(1, "jbd2_start_commit"));
        buffer.add(event(2, "ext4_da_write_begin"));

        assertThat(timestamps(buffer.select(e -> e.event().equals("ext4_da_write_begin")))).containsExactly(3L, 2L);
    }

    @Test
    void clearEmptiesTheBuffer() {
        TraceBuffer buffer = new TraceBuffer(2);
        buffer.add(event(1, "a"));
        buffer.clear();

        assertThat(buffer.select(e -> true)).isEmpty();
        buffer.add(event(2, "b"));
        assertThat(timestamps(buffer.select(e -> true))).containsExactly(2L);
    }

    @Test
    void capacityOfOneKeepsTheNewest() {
        TraceBuffer buffer = new TraceBuffer(1);
        buffer.add(event(1, "a"));
        buffer.add(event(2, "b"));

        assertThat(timestamps(buffer.select(e -> true))).containsExactly(2L);
        assertThat(buffer.written()).isEqualTo(2);
        assertThatThrownBy(() -> new TraceBuffer(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nullFieldsAndTextBecomeEmpty() {
        TraceEvent e = event(1, "a");

        assertThat(e.fields()).isEmpty();
        assertThat(e.text()).isEmpty();
    }

    @Test
    void theBufferKeepsEachEventCompactButEqualWithItsFieldsInOrder() {
        java.util.Map<String, Object> fields = new java.util.LinkedHashMap<>();
        fields.put("dev", 8388609);
        fields.put("ino", 12L);
        fields.put("ip", "ext4_writepages+0x4f4/0xe70");
        fields.put("ret", 0);
        TraceEvent e = new TraceEvent(7, new String("demo"), 1234, 1, "ext4", "ext4_writepages_result", fields,
                "dev 8,1 ino 12", new String("t-1"), "ext4-service");
        TraceBuffer buffer = new TraceBuffer(4);
        buffer.add(e);
        buffer.add(new TraceEvent(8, new String("demo"), 1234, 1, "ext4", "ext4_sync_file_exit", fields, "x",
                new String("t-1"), "ext4-service"));

        List<TraceEvent> kept = buffer.select(x -> true);
        assertThat(kept.getFirst()).isEqualTo(e);
        assertThat(kept.getFirst().fields().keySet()).containsExactly("dev", "ino", "ip", "ret");
        assertThat(kept.getFirst().fields()).containsEntry("ino", 12L).doesNotContainKey("lblk");
        assertThat(TraceEventCodec.encode(kept.getFirst())).isEqualTo(TraceEventCodec.encode(e));
        assertThat(kept.get(1).comm()).isSameAs(kept.getFirst().comm());
        assertThat(kept.get(1).traceId()).isSameAs(kept.getFirst().traceId());
        assertThatThrownBy(() -> kept.getFirst().fields().put("dev", 0))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
