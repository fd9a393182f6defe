package dev.ext4sim.bus.kafka;

import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.call.Events;
import dev.ext4sim.bus.call.Topics;
import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.TraceClock;
import dev.ext4sim.bus.trace.TraceFlush;
import dev.ext4sim.bus.trace.TraceSink;
import dev.ext4sim.bus.trace.Tracer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One service's connection to the bus: it serves calls from its call topic, makes calls and reads their replies
 * on its reply topic, and publishes tracepoints. Calls and replies each have a poll thread; handlers run on
 * virtual threads.
 */
public final class KafkaBus implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaBus.class);

    private final String service;
    private final String bootstrap;
    private final String instance = UUID.randomUUID().toString().substring(0, 8);
    private final Admin admin;
    private final KafkaProducer<String, byte[]> callProducer;
    private final KafkaProducer<String, byte[]> traceProducer;
    private final KafkaTraceSink traceSink;
    private final KafkaTransport transport;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final CallClient client;
    private final CallServer server;
    private final Events events;
    private final Tracer tracer;
    private final List<PollLoop> loops = new ArrayList<>();
    private volatile boolean callsAssigned;
    private volatile boolean onlyNewCalls;
    private final java.util.Set<TopicPartition> positionedAtEnd = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean started;

    public KafkaBus(String service, String bootstrap) {
        this(service, bootstrap, KernelProfile.V4X);
    }

    public KafkaBus(String service, String bootstrap, KernelProfile profile) {
        this.service = service;
        this.bootstrap = bootstrap;
        this.admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.CLIENT_ID_CONFIG, service + "-admin-" + instance,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000));
        this.callProducer = new KafkaProducer<>(KafkaSettings.callProducer(bootstrap, service + "-calls-" + instance));
        this.traceProducer = new KafkaProducer<>(KafkaSettings.traceProducer(bootstrap, service + "-trace-" + instance));
        this.traceSink = new KafkaTraceSink(traceProducer);
        this.transport = new KafkaTransport(callProducer);
        this.client = new CallClient(Topics.replies(service), transport, Time.SYSTEM,
                Scheduler.system(service + "-call-deadlines"), new KafkaPeerLiveness(admin), handlers);
        this.server = new CallServer(service, transport, Time.SYSTEM, handlers);
        // every service answers trace_flush, so that a trace read shows what was emitted before it (TraceFlush)
        server.register(TraceFlush.CALL, (request, ctx) -> {
            flushTraces();
            return new TraceFlush.Reply(service, traceSink.dropped());
        });
        this.events = new Events(service, transport);
        this.tracer = new Tracer(service, TraceClock.since(TraceClock.bootEpochNanos()), traceSink,
                Runtime.getRuntime().availableProcessors(), profile);
    }

    public String service() {
        return service;
    }

    public CallClient client() {
        return client;
    }

    /** Register handlers here before {@link #start}. */
    public CallServer server() {
        return server;
    }

    /** Publish one-way events; subscribe before {@link #start}. */
    public Events events() {
        return events;
    }

    public Tracer tracer() {
        return tracer;
    }

    public TraceSink traceSink() {
        return traceSink;
    }

    public long droppedTraceEvents() {
        return traceSink.dropped();
    }

    /** Sends every trace event emitted so far and returns once the broker has them (the trace_flush call). */
    public void flushTraces() {
        traceProducer.flush();
    }

    /**
     * Serve only calls sent after this instance took its call topic, not the backlog of a dead predecessor (call
     * before {@link #start}). For a service whose calls must not run twice or late, such as a disk after a power
     * cut: the callers of the skipped calls time out (ETIMEDOUT) and may retry.
     */
    public void serveOnlyNewCalls() {
        this.onlyNewCalls = true;
    }

    /** Creates the topics this service owns, positions the reply reader, and starts serving calls. */
    public synchronized void start(Duration timeout) {
        if (started) {
            return;
        }
        createTopics(timeout);
        KafkaConsumer<String, byte[]> replies = new KafkaConsumer<>(
                KafkaSettings.consumer(bootstrap, service + "-replies-" + instance));
        try {
            // The reply topic has one partition (created above); assign it by name, since metadata for a topic
            // created a moment ago may not have reached this client yet.
            List<TopicPartition> parts = List.of(new TopicPartition(Topics.replies(service), 0));
            replies.assign(parts);
            replies.seekToEnd(parts);
            // Resolve the end offsets now: a reply written before the first poll must not be skipped.
            parts.forEach(tp -> replies.position(tp, timeout));
        } catch (RuntimeException e) {
            replies.close(Duration.ZERO);
            throw e;
        }
        PollLoop replyLoop = new PollLoop(service + "-replies", replies, r -> client.onReply(Frames.fromRecord(r)));
        transport.open(); // a reply from now on is read

        KafkaConsumer<String, byte[]> calls = new KafkaConsumer<>(
                KafkaSettings.callConsumer(bootstrap, service + "-calls-" + instance, service));
        calls.subscribe(List.of(Topics.calls(service)), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                callsAssigned = false;
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                // Only at this instance's first assignment: a later rebalance (the dead predecessor leaving the
                // group at its session timeout) hands back a partition whose calls since then are new, and must
                // be served from where this instance left off.
                List<TopicPartition> fresh = partitions.stream().filter(positionedAtEnd::add).toList();
                if (onlyNewCalls && !fresh.isEmpty()) {
                    calls.seekToEnd(fresh);
                    fresh.forEach(calls::position); // resolve now: a call sent from here on is served
                }
                callsAssigned = !partitions.isEmpty() || callsAssigned;
                log.info("{} serves calls from {}", service, partitions);
            }
        });
        PollLoop callLoop = new PollLoop(service + "-calls", calls,
                r -> server.onRequest(Frames.fromRecord(r), Frames.origin(r)), true);
        loops.add(replyLoop);
        loops.add(callLoop);
        if (events.hasSubscriptions()) {
            // A group of its own per service: each service sees every event once, even those sent before it started.
            KafkaConsumer<String, byte[]> eventConsumer = new KafkaConsumer<>(KafkaSettings.callConsumer(bootstrap,
                    service + "-events-" + instance, service + ".events"));
            eventConsumer.subscribe(List.of(Topics.EVENTS));
            loops.add(new PollLoop(service + "-events", eventConsumer,
                    r -> events.onEvent(Frames.fromRecord(r), Frames.origin(r)), true));
        }
        loops.forEach(PollLoop::start);
        started = true;
    }

    /** Ready once its call topic is assigned to it: a call sent now is served, not parked behind a rebalance. */
    public boolean ready() {
        return started && callsAssigned;
    }

    private void createTopics(Duration timeout) {
        List<NewTopic> topics = List.of(
                new NewTopic(Topics.calls(service), 1, (short) 1),
                new NewTopic(Topics.replies(service), 1, (short) 1),
                new NewTopic(Topics.TRACE, 1, (short) 1),
                new NewTopic(Topics.DEAD_LETTER, 1, (short) 1),
                new NewTopic(Topics.EVENTS, 1, (short) 1));
        admin.createTopics(topics).values().forEach((name, f) -> {
            try {
                f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("could not create topic " + name + " on " + bootstrap + ": "
                            + e.getCause().getMessage() + "; is the broker up? (./ext4sim status)", e.getCause());
                }
            } catch (TimeoutException e) {
                throw new IllegalStateException("the broker at " + bootstrap + " did not create topic " + name
                        + " within " + timeout.toMillis() + " ms; is it up? (./ext4sim status)", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating topics", e);
            }
        });
    }

    @Override
    public void close() {
        started = false;
        loops.forEach(PollLoop::close);
        handlers.shutdown();
        traceProducer.close(Duration.ofSeconds(2));
        callProducer.close(Duration.ofSeconds(2));
        admin.close(Duration.ofSeconds(2));
    }
}
