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
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields == null ? Map.of() : fields));
        text = text == null ? "" : text;
    }

    public Task task() {
        return new Task(comm, pid);
    }
}
