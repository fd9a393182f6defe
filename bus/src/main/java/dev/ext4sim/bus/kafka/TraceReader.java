package dev.ext4sim.bus.kafka;

import dev.ext4sim.bus.call.Topics;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.bus.trace.TraceEventCodec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the trace topic into a consumer of events, from the last {@code tail} records it held at the start on, and
 * can wait until it has read everything the topic held when asked: GET /v1/trace after a call then shows that call's
 * events. The tail is what the consumer keeps anyway (the gateway's ring buffer): the topic keeps a day of a busy
 * stack's events, and a restarted gateway that decoded all of them to keep the last 200,000 spent minutes of CPU that
 * the calls of that time waited for.
 *
 * <p>A reader made with {@code idleAfter} reads only when asked: once caught up and not asked for that long, it stops
 * polling until the next {@link #catchUp}, then skips to the last {@code tail} records if more came meanwhile (told to
 * {@code overrun}). Decoding every event as it was published cost the gateway as much CPU per buffered write as vfs
 * or ext4 spent on it, for traces nobody was reading.
 */
public final class TraceReader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TraceReader.class);
    private static final TopicPartition PARTITION = new TopicPartition(Topics.TRACE, 0);
    /** How long catchUp waits for a reader that made no progress at all. */
    private static final Duration STALL = Duration.ofSeconds(3);

    private final String bootstrap;
    private final Consumer<TraceEvent> sink;
    private final long tail;
    private final LongConsumer overrun;
    /** Null: follow the topic all the time. */
    private final Duration idleAfter;
    private final Admin admin;
    private final Object progress = new Object();
    private volatile long consumed;
    /**
     * Guarded by progress: the end offset the latest catchUp waits for (more than {@link #consumed}: there is
     * reading to do), and when it asked (System.nanoTime).
     */
    private long wanted;
    private long askedAt;
    private volatile boolean running = true;
    private final Thread thread;

    /** A reader of the whole topic. */
    public TraceReader(String bootstrap, String clientId, Consumer<TraceEvent> sink) {
        this(bootstrap, clientId, sink, Long.MAX_VALUE);
    }

    /** A reader of the last {@code tail} records the topic held when it started, and of all that come after. */
    public TraceReader(String bootstrap, String clientId, Consumer<TraceEvent> sink, long tail) {
        this(bootstrap, clientId, sink, tail, n -> { }, null);
    }

    /**
     * A reader that reads only when asked (see the class comment): {@code overrun} hears how many records it passed
     * over; a null {@code idleAfter} follows the topic all the time.
     */
    public TraceReader(String bootstrap, String clientId, Consumer<TraceEvent> sink, long tail,
                       LongConsumer overrun, Duration idleAfter) {
        if (tail < 0) {
            throw new IllegalArgumentException("tail must not be negative: " + tail);
        }
        this.bootstrap = bootstrap;
        this.sink = sink;
        this.tail = tail;
        this.overrun = overrun;
        this.idleAfter = idleAfter;
        this.askedAt = System.nanoTime(); // a new reader follows for idleAfter before it first idles
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.CLIENT_ID_CONFIG, clientId + "-admin",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000));
        this.thread = Thread.ofPlatform().name("trace-reader").daemon().unstarted(() -> run(clientId));
    }

    public void start() {
        thread.start();
    }

    private void run(String clientId) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(KafkaSettings.traceConsumer(bootstrap, clientId))) {
            consumer.assign(List.of(PARTITION));
            seekToTail(consumer);
            long lastComplaint = 0;
            while (running) {
                try {
                    if (idleAfter != null && idle()) {
                        if (!awaitAsked()) {
                            return;
                        }
                        skipPastTail(consumer);
                    }
                    for (var record : consumer.poll(Duration.ofMillis(200))) {
                        try {
                            sink.accept(TraceEventCodec.decode(record.value()));
                        } catch (IllegalArgumentException e) {
                            log.warn("skipped trace record {}: {}", Frames.origin(record), e.getMessage());
                        }
                    }
                    long position = consumer.position(PARTITION, Duration.ofSeconds(1));
                    synchronized (progress) {
                        consumed = position;
                        progress.notifyAll();
                    }
                } catch (org.apache.kafka.common.errors.WakeupException e) {
                    return;
                } catch (RuntimeException e) {
                    if (System.nanoTime() - lastComplaint > 5_000_000_000L) {
                        log.warn("trace reader: {}", e.toString());
                        lastComplaint = System.nanoTime();
                    }
                }
            }
        }
    }

    /** Caught up with the latest catchUp, and not asked again for idleAfter. */
    private boolean idle() {
        synchronized (progress) {
            return consumed >= wanted && System.nanoTime() - askedAt >= idleAfter.toNanos();
        }
    }

    /** Waits for a catchUp that wants what is not read yet; false when the reader closes meanwhile. */
    private boolean awaitAsked() {
        synchronized (progress) {
            while (running && consumed >= wanted) {
                try {
                    progress.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return running;
        }
    }

    /** Back from idle: what the buffer could not keep is passed over, not decoded. */
    private void skipPastTail(KafkaConsumer<String, byte[]> consumer) {
        long position = consumer.position(PARTITION, Duration.ofSeconds(1));
        long end = consumer.endOffsets(List.of(PARTITION), Duration.ofSeconds(2)).get(PARTITION);
        if (end - position > tail) {
            consumer.seek(PARTITION, end - tail);
            overrun.accept(end - tail - position);
        }
    }

    /** Positions the consumer {@link #tail} records before the end, or at the beginning of a shorter topic. */
    private void seekToTail(KafkaConsumer<String, byte[]> consumer) {
        while (running) {
            try {
                long first = consumer.beginningOffsets(List.of(PARTITION), Duration.ofSeconds(2)).get(PARTITION);
                long end = consumer.endOffsets(List.of(PARTITION), Duration.ofSeconds(2)).get(PARTITION);
                consumer.seek(PARTITION, end - first > tail ? end - tail : first);
                return;
            } catch (RuntimeException e) {
                // no broker yet, or no topic yet: the reader waits for both, as its poll loop does (retry pacing)
                log.debug("trace reader: no offsets yet ({})", e.toString());
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Waits, at most {@code timeout} (and no more than 3 s without progress), until every event on the trace topic now
     * has been handed to the sink.
     * @return false when it did not catch up in time (the caller serves what it has)
     */
    public boolean catchUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long end;
        try {
            // the broker answers this at once or is not there: a long timeout is for the reading, not for this
            end = admin.listOffsets(Map.of(PARTITION, OffsetSpec.latest())).partitionResult(PARTITION)
                    .get(Math.min(timeout.toMillis(), 3_000), TimeUnit.MILLISECONDS).offset();
        } catch (Exception e) {
            return false;
        }
        synchronized (progress) {
            wanted = Math.max(wanted, end);
            askedAt = System.nanoTime();
            progress.notifyAll();
            long seen = consumed;
            long progressDeadline = System.nanoTime() + STALL.toNanos();
            while (consumed < end) {
                long now = System.nanoTime();
                if (consumed != seen) {
                    seen = consumed;
                    progressDeadline = now + STALL.toNanos();
                }
                // a reader that stopped moving (no broker) gives up early; one that decodes a backlog gets the timeout
                long left = Math.min(deadline, progressDeadline) - now;
                if (left <= 0) {
                    return false;
                }
                try {
                    progress.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public void close() {
        running = false;
        synchronized (progress) {
            progress.notifyAll();
        }
        try {
            thread.join(3_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(1));
    }
}
