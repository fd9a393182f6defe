package dev.ext4sim.gateway;

import dev.ext4sim.bus.kafka.KafkaBus;
import dev.ext4sim.bus.kafka.TraceReader;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceFlush;
import dev.ext4sim.bus.trace.TraceBuffer;
import dev.ext4sim.bus.trace.TraceEvent;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The gateway's copy of the trace topic: a ring buffer fed by a reader of the topic, which reads when GET /v1/trace
 * asks and idles {@code ext4sim.trace.idle-after} (5 s; 0 follows the topic all the time) after the last ask.
 */
@Component
class TraceStore implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(TraceStore.class);
    static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    private final TraceBuffer buffer;
    private final TraceReader reader;
    private final KafkaBus bus;
    private final List<String> services;
    private final int cpus = Runtime.getRuntime().availableProcessors();
    private volatile boolean running;

    TraceStore(KafkaBus bus, @Value("${spring.kafka.bootstrap-servers:127.0.0.1:9092}") String bootstrap,
               @Value("${ext4sim.trace.buffer-events:200000}") int capacity,
               @Value("${ext4sim.trace.services:}") List<String> services,
               @Value("${ext4sim.trace.idle-after:5s}") Duration idleAfter) {
        this.bus = bus;
        this.services = List.copyOf(services);
        this.buffer = new TraceBuffer(capacity);
        // a restarted gateway reads back no more of the topic than its buffer keeps, and an unread trace is not decoded
        this.reader = new TraceReader(bootstrap, "gateway-trace-" + ProcessHandle.current().pid(), buffer::add, capacity,
                buffer::overrun, idleAfter.isZero() ? null : idleAfter);
    }

    /**
     * Brings the buffer up to every event emitted before now: the gateway's own and those the services still hold
     * to batch (trace_flush), then everything the topic has. A service that does not answer in {@code timeout}
     * (killed by a test, say) costs the reader its latest events, not the read. The topic reader itself gets up to
     * {@link #READ_TIMEOUT}: back from idle after a long run it decodes a full buffer first, and it answers as soon as
     * it is done.
     */
    void catchUp(Duration timeout, Task reader) {
        bus.flushTraces();
        List<String> silent = TraceFlush.flushAll(bus.client(), services, timeout, TraceContext.of(reader));
        if (!silent.isEmpty()) {
            log.debug("trace read without the latest events of {}", silent);
        }
        this.reader.catchUp(READ_TIMEOUT);
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
