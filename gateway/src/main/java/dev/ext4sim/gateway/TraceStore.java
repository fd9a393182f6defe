package dev.ext4sim.gateway;

import dev.ext4sim.bus.kafka.TraceReader;
import dev.ext4sim.bus.trace.TraceBuffer;
import dev.ext4sim.bus.trace.TraceEvent;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/** The gateway's copy of the trace topic: a ring buffer fed by a reader of the topic. */
@Component
class TraceStore implements SmartLifecycle {
    private final TraceBuffer buffer;
    private final TraceReader reader;
    private final int cpus = Runtime.getRuntime().availableProcessors();
    private volatile boolean running;

    TraceStore(@Value("${spring.kafka.bootstrap-servers:127.0.0.1:9092}") String bootstrap,
               @Value("${ext4sim.trace.buffer-events:200000}") int capacity) {
        this.buffer = new TraceBuffer(capacity);
        // a restarted gateway reads back no more of the topic than its buffer keeps
        this.reader = new TraceReader(bootstrap, "gateway-trace-" + ProcessHandle.current().pid(), buffer::add, capacity);
    }

    void catchUp(Duration timeout) {
        reader.catchUp(timeout);
    }

    List<TraceEvent> select(Predicate<TraceEvent> filter) {
        return buffer.select(filter);
    }

    long written() {
        return buffer.written();
    }

    int cpus() {
        return cpus;
    }

    @Override
    public void start() {
        reader.start();
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        reader.close();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
