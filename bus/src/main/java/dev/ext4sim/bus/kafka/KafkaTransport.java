package dev.ext4sim.bus.kafka;

import dev.ext4sim.bus.call.Frame;
import dev.ext4sim.bus.call.Transport;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Producer;

/**
 * Sends frames with one shared producer; send() never blocks longer than max.block.ms. Nothing leaves before the bus
 * {@link #open}s it, once its reply reader is positioned: a call made earlier (a service mounting as soon as it is up,
 * while its bus still starts) would have its reply written before the reader's start and skipped, and time out.
 */
final class KafkaTransport implements Transport {
    private final Producer<String, byte[]> producer;
    private final CompletableFuture<Void> open = new CompletableFuture<>();

    KafkaTransport(Producer<String, byte[]> producer) {
        this.producer = producer;
    }

    /** The reply reader is positioned: what was held back goes, and everything after at once. */
    void open() {
        open.complete(null);
    }

    @Override
    public CompletableFuture<Void> send(String topic, String key, Frame frame) {
        if (!open.isDone()) {
            // the call's own deadline bounds the wait: a bus that never starts is a call that times out
            return open.thenCompose(x -> sendNow(topic, key, frame));
        }
        return sendNow(topic, key, frame);
    }

    private CompletableFuture<Void> sendNow(String topic, String key, Frame frame) {
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
