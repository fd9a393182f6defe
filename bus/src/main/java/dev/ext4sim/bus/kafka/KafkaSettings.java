package dev.ext4sim.bus.kafka;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Client settings tuned for the latency of a call rather than throughput. linger.ms=0 matters most: Kafka 4's
 * default of 5 ms is paid on both legs of a round trip. Blocking and delivery are bounded so that a broker that
 * went away turns into an error within a call's deadline, not a minute later.
 */
public final class KafkaSettings {
    /** The largest record a call may be; the launcher's broker is configured with message.max.bytes to match. */
    public static final int MAX_RECORD_BYTES = 16 << 20;
    /** How often a group's consumer commits what it handled: what a restarted instance may serve twice. */
    public static final int COMMIT_INTERVAL_MS = 500;
    /** How long a service holds trace events to send them together. */
    public static final int TRACE_LINGER_MS = 100;

    private KafkaSettings() {
    }

    public static Map<String, Object> callProducer(String bootstrap, String clientId) {
        Map<String, Object> p = common(bootstrap, clientId);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 3_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 8_000);
        // block data travels in call records: up to 8 MiB of it per blk_submit (the broker allows 16 MiB)
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_RECORD_BYTES);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    /**
     * Trace events are many and small and nobody waits for them: batch them. Every batch is a produce request and a
     * fetch by the trace reader, on a machine whose cores the calls need; 100 ms keeps it to a few per second per
     * service, well under the time a person takes to ask for a trace.
     */
    public static Map<String, Object> traceProducer(String bootstrap, String clientId) {
        Map<String, Object> p = callProducer(bootstrap, clientId);
        p.put(ProducerConfig.LINGER_MS_CONFIG, TRACE_LINGER_MS);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return p;
    }

    public static Map<String, Object> callConsumer(String bootstrap, String clientId, String group) {
        Map<String, Object> c = consumer(bootstrap, clientId);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        // Static membership: a restarted instance takes its partitions back at once instead of waiting for the
        // dead one's session to expire, and an older instance with the same id is fenced.
        c.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, group + "-" + instance());
        // A call that arrived while this service was down is still served if its caller waits; stale ones are
        // skipped by their deadline.
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // committed by the poll loop, every COMMIT_INTERVAL_MS when something was consumed (PollLoop)
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
        return c;
    }

    /**
     * Replies and traces are read by partition assignment: no group, no rebalance to wait for. A fetch returns as
     * soon as one record arrives (fetch.min.bytes 1), so the wait only bounds how often an idle reader asks again.
     */
    public static Map<String, Object> consumer(String bootstrap, String clientId) {
        Map<String, Object> c = common(bootstrap, clientId);
        c.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1);
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return c;
    }

    /**
     * The trace topic's reader takes events in bulk: it asks for at least 64 KiB or what arrived in
     * {@link #TRACE_LINGER_MS}, instead of one fetch per producer batch of every service.
     */
    public static Map<String, Object> traceConsumer(String bootstrap, String clientId) {
        Map<String, Object> c = consumer(bootstrap, clientId);
        c.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 64 * 1024);
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, TRACE_LINGER_MS);
        return c;
    }

    /** Which instance of a service this is (EXT4SIM_INSTANCE), for when a service is scaled out. */
    static String instance() {
        String v = System.getenv("EXT4SIM_INSTANCE");
        return v == null || v.isBlank() ? "0" : v.trim();
    }

    private static Map<String, Object> common(String bootstrap, String clientId) {
        Map<String, Object> m = new HashMap<>();
        m.put("bootstrap.servers", bootstrap);
        m.put("client.id", clientId);
        m.put("reconnect.backoff.max.ms", 1_000);
        return m;
    }
}
