package dev.ext4sim.bus.trace;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The ring buffer behind GET /v1/trace: the newest events, the oldest overwritten first, as ftrace's ring buffer
 * does; counts what was ever written so the header's entries-in-buffer/entries-written reads as the kernel's.
 */
public final class TraceBuffer {
    private final int capacity;
    private final ArrayDeque<TraceEvent> events;
    private long written;

    public TraceBuffer(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.capacity = capacity;
        this.events = new ArrayDeque<>(Math.min(capacity, 1 << 16));
    }

    public synchronized void add(TraceEvent event) {
        if (events.size() == capacity) {
            events.removeFirst();
        }
        events.addLast(event.compact());
        written++;
    }

    /**
     * Events the reader passed over without decoding (more came than the buffer keeps): every event held now would
     * have been overwritten by them, and they count as written, as ftrace counts what it overwrote.
     */
    public synchronized void overrun(long n) {
        if (n > 0) {
            events.clear();
            written += n;
        }
    }

    public synchronized List<TraceEvent> select(Predicate<TraceEvent> filter) {
        List<TraceEvent> out = new ArrayList<>();
        for (TraceEvent e : events) {
            if (filter.test(e)) {
                out.add(e);
            }
        }
        return out;
    }

    public synchronized long written() {
        return written;
    }

    public synchronized void clear() {
        events.clear();
    }
}
