package dev.ext4sim.bus.call;

import java.util.concurrent.CompletableFuture;

/** Sends a frame to a topic. Kafka in production, a map of queues in unit tests. */
public interface Transport {
    /** Completes when the broker has the record, or exceptionally when it could not be sent. */
    CompletableFuture<Void> send(String topic, String key, Frame frame);
}
