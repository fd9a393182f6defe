package dev.ext4sim.bus.testing;

import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.bus.trace.TraceSink;
import java.util.ArrayList;
import java.util.List;

/** A {@link TraceSink} that keeps every published event, in publish order (thread-safe). */
public final class RecordingTraceSink implements TraceSink {
    private final List<TraceEvent> events = new ArrayList<>();

    @Override
    public synchronized void publish(TraceEvent event) {
        events.add(event);
    }

    public synchronized List<TraceEvent> events() {
        return List.copyOf(events);
    }

    /** The events of one tracepoint, by event name (e.g. "ext4_da_write_begin"). */
    public synchronized List<TraceEvent> events(String event) {
        return events.stream().filter(e -> e.event().equals(event)).toList();
    }

    public synchronized void clear() {
        events.clear();
    }
}
