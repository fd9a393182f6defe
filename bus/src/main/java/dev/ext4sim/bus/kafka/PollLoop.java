package dev.ext4sim.bus.kafka;

import java.time.Duration;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer polled by one thread (KafkaConsumer is single-threaded). Errors are logged and polling goes on:
 * a broker that is briefly away must not stop a service.
 *
 * <p>A consumer in a group commits what it handled at most every {@link KafkaSettings#COMMIT_INTERVAL_MS}, and only
 * when that moved: Kafka's auto-commit sends an offset commit every interval even when nothing was consumed, which on
 * an idle stack was a third of the broker's work.
 */
final class PollLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(PollLoop.class);
    private static final long COMMIT_INTERVAL_NANOS = KafkaSettings.COMMIT_INTERVAL_MS * 1_000_000L;

    private final String name;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Consumer<ConsumerRecord<String, byte[]>> onRecord;
    private final boolean commitsOffsets;
    private volatile boolean running = true;
    private final Thread thread;
    private boolean uncommitted;
    private long lastCommit = System.nanoTime();

    /** A consumer read by assignment, without a group: nothing to commit. */
    PollLoop(String name, KafkaConsumer<String, byte[]> consumer, Consumer<ConsumerRecord<String, byte[]>> onRecord) {
        this(name, consumer, onRecord, false);
    }

    PollLoop(String name, KafkaConsumer<String, byte[]> consumer, Consumer<ConsumerRecord<String, byte[]>> onRecord,
             boolean commitsOffsets) {
        this.name = name;
        this.consumer = consumer;
        this.onRecord = onRecord;
        this.commitsOffsets = commitsOffsets;
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this);
    }

    void start() {
        thread.start();
    }

    @Override
    public void run() {
        long lastComplaint = 0;
        try {
            while (running) {
                try {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        uncommitted = commitsOffsets;
                        try {
                            onRecord.accept(record);
                        } catch (RuntimeException e) {
                            log.error("{}: record {} could not be handled", name, Frames.origin(record), e);
                        }
                    }
                    maybeCommit();
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    long now = System.nanoTime();
                    if (now - lastComplaint > 5_000_000_000L) {
                        log.warn("{}: poll failed, retrying: {}", name, e.toString());
                        lastComplaint = now;
                    }
                }
            }
        } catch (WakeupException e) {
            // close() woke us up
        } finally {
            if (uncommitted) {
                try {
                    consumer.commitSync(Duration.ofSeconds(1));
                } catch (RuntimeException e) {
                    log.debug("{}: last offset commit failed: {}", name, e.toString());
                }
            }
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void maybeCommit() {
        long now = System.nanoTime();
        if (uncommitted && now - lastCommit >= COMMIT_INTERVAL_NANOS) {
            uncommitted = false;
            lastCommit = now;
            consumer.commitAsync((offsets, error) -> {
                if (error != null) {
                    log.debug("{}: offset commit failed, the next one covers it: {}", name, error.toString());
                }
            });
        }
    }

    void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
