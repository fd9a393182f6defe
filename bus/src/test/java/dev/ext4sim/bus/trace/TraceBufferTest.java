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
}
