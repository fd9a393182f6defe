package dev.ext4sim.bus.trace;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One tracepoint hit, as DESIGN §3 describes it: when (nanoseconds since the simulated boot), which task on which
 * cpu, which event, its fields in the kernel's order, the TP_printk text, and the REST call that caused it.
 */
public record TraceEvent(long timestampNanos, String comm, int pid, int cpu, String system, String event,
                         Map<String, Object> fields, String text, String traceId, String service) {
    public TraceEvent {
        fields = fields instanceof CompactFields ? fields
                : Collections.unmodifiableMap(new LinkedHashMap<>(fields == null ? Map.of() : fields));
        text = text == null ? "" : text;
    }

    /**
     * The same event as a trace buffer keeps it: names, tasks, services and trace ids (each shared by the dozens of
     * events of one call) interned, the fields in {@link CompactFields}. About 0.9 KB an event otherwise, which put
     * the gateway's 200,000-event buffer past its heap and into back-to-back full collections.
     */
    public TraceEvent compact() {
        return new TraceEvent(timestampNanos, intern(comm), pid, cpu, intern(system), intern(event),
                CompactFields.of(fields), text, intern(traceId), intern(service));
    }

    private static String intern(String s) {
        return s == null ? null : s.intern();
    }

    public Task task() {
        return new Task(comm, pid);
    }
}
