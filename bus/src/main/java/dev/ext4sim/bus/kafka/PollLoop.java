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
 */
final class PollLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(PollLoop.class);

    private final String name;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Consumer<ConsumerRecord<String, byte[]>> onRecord;
    private volatile boolean running = true;
    private final Thread thread;

    PollLoop(String name, KafkaConsumer<String, byte[]> consumer, Consumer<ConsumerRecord<String, byte[]>> onRecord) {
        this.name = name;
        this.consumer = consumer;
        this.onRecord = onRecord;
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
                        try {
                            onRecord.accept(record);
                        } catch (RuntimeException e) {
                            log.error("{}: record {} could not be handled", name, Frames.origin(record), e);
                        }
                    }
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
            consumer.close(Duration.ofSeconds(2));
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
