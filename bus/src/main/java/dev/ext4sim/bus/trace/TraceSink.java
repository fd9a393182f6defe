package dev.ext4sim.bus.trace;

/** Where emitted events go: the trace topic, batched, in a running service; a list in tests. */
@FunctionalInterface
public interface TraceSink {
    TraceSink NONE = event -> {
    };

    void publish(TraceEvent event);
}
