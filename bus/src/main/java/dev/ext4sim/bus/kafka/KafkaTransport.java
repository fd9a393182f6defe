package dev.ext4sim.bus.kafka;

import dev.ext4sim.bus.call.Frame;
import dev.ext4sim.bus.call.Transport;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Producer;

/** Sends frames with one shared producer; send() never blocks longer than max.block.ms. */
final class KafkaTransport implements Transport {
    private final Producer<String, byte[]> producer;

    KafkaTransport(Producer<String, byte[]> producer) {
        this.producer = producer;
    }

    @Override
    public CompletableFuture<Void> send(String topic, String key, Frame frame) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        try {
            producer.send(Frames.toRecord(topic, key, frame), (metadata, error) -> {
                if (error != null) {
                    sent.completeExceptionally(error);
                } else {
                    sent.complete(null);
                }
            });
        } catch (RuntimeException e) {
            sent.completeExceptionally(e);
        }
        return sent;
    }
}
