package dev.ext4sim.bus.call;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.testing.InMemoryTransport;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventsTest {
    record DeviceAdded(String disk, int major, int minor, String bdi) {
    }

    static final EventType<DeviceAdded> DEVICE_ADDED = EventType.json("device_added", 1, DeviceAdded.class);

    final InMemoryTransport transport = new InMemoryTransport();
    final Events blockdev = new Events("blockdev-service", transport);
    final Events writeback = new Events("writeback-service", transport);
    final List<DeviceAdded> seen = new ArrayList<>();
    final List<TraceContext> traces = new ArrayList<>();

    EventsTest() {
        writeback.subscribe(DEVICE_ADDED, (e, trace) -> {
            seen.add(e);
            traces.add(trace);
        });
        transport.route(Topics.EVENTS, f -> writeback.onEvent(f, "test"));
    }

    @Test
    void aPublishedEventReachesItsSubscriberWithItsTraceContext() {
        TraceContext trace = new TraceContext("abc", new Task("ufshcd", 77));
        blockdev.publish(DEVICE_ADDED, "sda", new DeviceAdded("sda", 8, 0, "8:0"), trace);

        assertThat(seen).containsExactly(new DeviceAdded("sda", 8, 0, "8:0"));
        assertThat(traces).containsExactly(trace);
        assertThat(transport.sent(Topics.EVENTS)).hasSize(1);
        assertThat(transport.sent(Topics.DEAD_LETTER)).isEmpty();
    }

    @Test
    void anEventOfAnotherTypeIsNotThisServicesBusiness() {
        blockdev.publish(EventType.json("something_else", 1, DeviceAdded.class), "x", new DeviceAdded("sdb", 8, 16, "8:16"), null);
        assertThat(seen).isEmpty();
        assertThat(transport.sent(Topics.DEAD_LETTER)).isEmpty();
    }

    @Test
    void anUnknownVersionOrAnUndecodableBodyIsDeadLetteredNotDelivered() {
        blockdev.publish(EventType.json("device_added", 2, DeviceAdded.class), "sda", new DeviceAdded("sda", 8, 0, "8:0"), null);
        Map<String, byte[]> h = new LinkedHashMap<>(transport.last(Topics.EVENTS).headers());
        h.put(EnvelopeCodec.VERSION, "1".getBytes(StandardCharsets.UTF_8));
        writeback.onEvent(new Frame(h, "not json".getBytes(StandardCharsets.UTF_8)), "test");

        assertThat(seen).isEmpty();
        assertThat(transport.sent(Topics.DEAD_LETTER)).extracting(f -> new String(f.header(CallServer.DLT_REASON), StandardCharsets.UTF_8))
                .satisfiesExactly(r -> assertThat(r).startsWith("unknown schema version"),
                        r -> assertThat(r).startsWith("undecodable record"));
    }
}
