package dev.ext4sim.bus.kafka;

import dev.ext4sim.bus.call.Topics;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.bus.trace.TraceEventCodec;
import dev.ext4sim.bus.trace.TraceSink;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Publishes trace events to the one trace topic with a producer of its own that lingers to batch, so that the
 * tracepoints of a call cost it a few microseconds and no extra round trip. A full or absent broker drops
 * events (counted) rather than slowing the traced call.
 */
final class KafkaTraceSink implements TraceSink {
    private final Producer<String, byte[]> producer;
    private final AtomicLong dropped = new AtomicLong();

    KafkaTraceSink(Producer<String, byte[]> producer) {
        this.producer = producer;
    }

    @Override
    public void publish(TraceEvent event) {
        try {
            producer.send(new ProducerRecord<>(Topics.TRACE, event.service(), TraceEventCodec.encode(event)),
                    (metadata, error) -> {
                        if (error != null) {
                            dropped.incrementAndGet();
                        }
                    });
        } catch (RuntimeException e) {
            dropped.incrementAndGet();
        }
    }

    long dropped() {
        return dropped.get();
    }
}
