package dev.ext4sim.bus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.call.Codecs;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.call.Topics;
import dev.ext4sim.bus.ping.Ping;
import dev.ext4sim.bus.ping.PingService;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceFlush;
import dev.ext4sim.bus.trace.TraceEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The bus against a real broker (spring-kafka-test's embedded KRaft broker): the ping crosses a chain of five
 * buses, block data travels as raw record values, bad records are dead-lettered and answered with an errno, a dead
 * or slow peer becomes EIO or ETIMEDOUT within the deadline.
 */
class KafkaBusIntegrationTest {
    static final List<String> CHAIN = List.of("gateway", "vfs-service", "ext4-service", "jbd2-service", "blockdev-service");
    static final CallType<byte[], byte[]> ECHO_BLOCK = new CallType<>("echo_block", 1, Codecs.bytes(), Codecs.bytes());
    static final CountDownLatch NEVER = new CountDownLatch(1);
    static final CallType<Ping.Request, Ping.Reply> STALL = CallType.json("stall", 1, Ping.Request.class, Ping.Reply.class);

    static EmbeddedKafkaKraftBroker broker;
    static final Map<String, KafkaBus> buses = new LinkedHashMap<>();
    static final Map<String, PingService> pings = new LinkedHashMap<>();
    static final List<TraceEvent> traced = new CopyOnWriteArrayList<>();
    static TraceReader traceReader;
    record Announcement(String disk, String bdi) {
    }
    static final dev.ext4sim.bus.call.EventType<Announcement> ANNOUNCED =
            dev.ext4sim.bus.call.EventType.json("test_device_added", 1, Announcement.class);
    static final List<Announcement> announced = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void chainOfBuses() {
        broker = new EmbeddedKafkaKraftBroker(1, 1);
        broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
        broker.brokerProperty("offsets.topic.num.partitions", "1");
        broker.afterPropertiesSet();
        for (int i = 0; i < CHAIN.size(); i++) {
            String service = CHAIN.get(i);
            KafkaBus bus = new KafkaBus(service, broker.getBrokersAsString());
            Optional<String> next = i + 1 < CHAIN.size() ? Optional.of(CHAIN.get(i + 1)) : Optional.empty();
            PingService ping = new PingService(service, next, bus.client(), bus.tracer(), Time.SYSTEM);
            CallServer server = bus.server().register(Ping.CALL, ping::handle);
            if (service.equals("blockdev-service")) {
                server.register(ECHO_BLOCK, (block, ctx) -> block);
                server.register(STALL, (request, ctx) -> {
                    NEVER.await();
                    return null;
                });
            }
            if (service.equals("gateway")) {
                bus.events().subscribe(ANNOUNCED, (event, trace) -> announced.add(event));
            }
            buses.put(service, bus);
            pings.put(service, ping);
        }
        buses.values().forEach(b -> b.start(Duration.ofSeconds(30)));
        await("every bus serves its calls", () -> buses.values().stream().allMatch(KafkaBus::ready), Duration.ofSeconds(60));
        traceReader = new TraceReader(broker.getBrokersAsString(), "test-trace", traced::add);
        traceReader.start();
    }

    @AfterAll
    static void stop() {
        NEVER.countDown();
        if (traceReader != null) {
            traceReader.close();
        }
        buses.values().forEach(KafkaBus::close);
        if (broker != null) {
            broker.destroy();
        }
    }

    @Test
    void pingCrossesTheChainWithOneHopAndOneTracepointPerService() {
        TraceContext trace = TraceContext.of(new Task("test-ping", 4242));
        Ping.Reply reply = pings.get("gateway").ping(0, trace, Duration.ofSeconds(10));

        assertThat(reply.hops()).extracting(Ping.Hop::service).containsExactlyElementsOf(CHAIN);
        assertThat(reply.hops()).extracting(Ping.Hop::hop).containsExactly(0, 1, 2, 3, 4);
        for (int i = 1; i < reply.hops().size(); i++) {
            assertThat(reply.hops().get(i).latencyUs()).isPositive()
                    .isGreaterThanOrEqualTo(reply.hops().get(i).handledUs())
                    .isLessThanOrEqualTo(reply.hops().get(i - 1).handledUs());
        }

        awaitPingEvents("the ping's five tracepoints on the trace topic", traceReader, traced, trace);
        List<TraceEvent> events = traced.stream().filter(e -> e.traceId().equals(trace.traceId())).toList();
        assertThat(events).extracting(TraceEvent::service).containsExactlyInAnyOrderElementsOf(CHAIN);
        assertThat(events).allSatisfy(e -> {
            assertThat(e.event()).isEqualTo("ext4sim_ping");
            assertThat(e.comm()).isEqualTo("test-ping");
            assertThat(e.pid()).isEqualTo(4242);
            assertThat(e.text()).startsWith("service " + e.service() + " hop ");
        });
    }

    @Test
    void aReaderStartedLateReadsOnlyTheTailItKeepsAndEverythingAfter() throws Exception {
        TraceContext before = TraceContext.of(new Task("test-tail", 4343));
        pings.get("gateway").ping(0, before, Duration.ofSeconds(10));
        awaitPingEvents("the ping's tracepoints read by the reader of the whole topic", traceReader, traced, before);
        List<TraceEvent> tail = new CopyOnWriteArrayList<>();
        try (TraceReader late = new TraceReader(broker.getBrokersAsString(), "test-trace-tail", tail::add, 3)) {
            late.start();
            await("the late reader at the end of the topic", () -> late.catchUp(Duration.ofSeconds(1)), Duration.ofSeconds(20));
            TraceContext after = TraceContext.of(new Task("test-tail", 4344));
            pings.get("gateway").ping(0, after, Duration.ofSeconds(10));
            awaitPingEvents("the later ping's tracepoints read by the late reader", late, tail, after);
            List<TraceEvent> whole = List.copyOf(traced);
            int startedAt = whole.indexOf(tail.getFirst());
            assertThat(startedAt).as("the late reader's first event is one the whole reader has").isNotNegative();
            assertThat(tail.subList(0, 3)).as("it began 3 records before the end it found")
                    .allSatisfy(e -> assertThat(e.traceId()).isEqualTo(before.traceId()));
            assertThat(tail).hasSize(8);
        }
    }

    @Test
    void aReaderThatReadsOnlyWhenAskedPassesOverWhatItsBufferWouldNotKeep() throws Exception {
        List<TraceEvent> got = new CopyOnWriteArrayList<>();
        AtomicLong passed = new AtomicLong();
        try (TraceReader lazy = new TraceReader(broker.getBrokersAsString(), "test-trace-lazy", got::add, 3,
                passed::addAndGet, Duration.ZERO)) {
            lazy.start();
            await("the lazy reader at the end of the topic", () -> lazy.catchUp(Duration.ofSeconds(1)), Duration.ofSeconds(20));
            int before = got.size();
            long passedBefore = passed.get();
            // five records published while it idles, two more than it keeps
            TraceContext trace = TraceContext.of(new Task("test-lazy", 4345));
            pings.get("gateway").ping(0, trace, Duration.ofSeconds(10));
            awaitPingEvents("the ping's tracepoints on the topic", traceReader, traced, trace);
            assertThat(got).hasSize(before);

            assertThat(lazy.catchUp(Duration.ofSeconds(5))).isTrue();
            List<TraceEvent> read = got.subList(before, got.size());
            assertThat(read).as("only the last three, decoded on demand").hasSize(3)
                    .allSatisfy(e -> assertThat(e.traceId()).isEqualTo(trace.traceId()));
            assertThat(passed.get() - passedBefore).as("the two it passed over").isEqualTo(2);
        }
    }

    @Test
    void aTraceFlushPutsEveryEventEmittedBeforeItOnTheTopic() {
        TraceContext trace = TraceContext.of(new Task("test-flush", 4545));
        // held by ext4-service's trace producer for its linger (100 ms) unless flushed
        buses.get("ext4-service").tracer().emit(Ping.EXT4SIM_PING, trace, "ext4-service", 9, 0L);

        List<String> silent = TraceFlush.flushAll(buses.get("gateway").client(), List.of("ext4-service"),
                Duration.ofSeconds(5), trace);

        assertThat(silent).isEmpty();
        assertThat(traceReader.catchUp(Duration.ofSeconds(5))).isTrue();
        assertThat(traced).anyMatch(e -> e.traceId().equals(trace.traceId()));
    }

    @Test
    void aTraceFlushNamesTheServicesThatDidNotAnswer() {
        TraceContext trace = TraceContext.of(new Task("test-flush", 4546));
        assertThat(TraceFlush.flushAll(buses.get("gateway").client(), List.of("jbd2-service", "nobody-service"),
                Duration.ofSeconds(5), trace)).containsExactly("nobody-service");
    }

    @Test
    void aOneWayEventReachesTheServiceThatSubscribed() {
        buses.get("blockdev-service").events().publish(ANNOUNCED, "sda", new Announcement("sda", "8:0"),
                TraceContext.of(new Task("kworker/u16:0", 9))).join();
        await("the announcement", () -> announced.contains(new Announcement("sda", "8:0")), Duration.ofSeconds(20));
    }

    @Test
    void aCallMadeBeforeTheBusStartsLeavesOnceItsRepliesAreReadAndIsAnswered() {
        KafkaBus late = new KafkaBus("late-service", broker.getBrokersAsString());
        try {
            // as ext4-service mounts at ApplicationReady while its bus still starts
            CompletableFuture<byte[]> call = late.client().call("blockdev-service", ECHO_BLOCK, new byte[]{7},
                    Duration.ofSeconds(20), TraceContext.of(new Task("test-late", 1)));
            assertThat(call).isNotDone();
            late.start(Duration.ofSeconds(30));
            assertThat(call.join()).containsExactly(7);
        } finally {
            late.close();
        }
    }

    @Test
    void blockDataTravelsAsTheRawRecordValue() {
        byte[] block = new byte[4096];
        new Random(8).nextBytes(block);
        byte[] echoed = buses.get("ext4-service").client().invoke("blockdev-service", ECHO_BLOCK, block,
                Duration.ofSeconds(10), TraceContext.of(new Task("test-block", 1)));
        assertThat(echoed).isEqualTo(block);

        List<ConsumerRecord<String, byte[]>> calls = readAll(Topics.calls("blockdev-service"));
        assertThat(calls).anySatisfy(r -> assertThat(r.value()).isEqualTo(block));
    }

    @Test
    void anUnknownCallIsDeadLetteredAndAnsweredWithEnosysAtOnce() {
        CallType<Ping.Request, Ping.Reply> unknown = CallType.json("no_such_call", 1, Ping.Request.class, Ping.Reply.class);
        assertErrno(() -> call("vfs-service", unknown, new Ping.Request(0)), Errno.ENOSYS, "no_such_call");
        assertDeadLettered("unknown call type");
    }

    @Test
    void anUnknownSchemaVersionIsDeadLetteredAndAnsweredWithEproto() {
        CallType<Ping.Request, Ping.Reply> future = CallType.json("ping", 99, Ping.Request.class, Ping.Reply.class);
        assertErrno(() -> call("vfs-service", future, new Ping.Request(0)), Errno.EPROTO, "version 99");
        assertDeadLettered("unknown schema version");
    }

    @Test
    void anUndecodableBodyIsDeadLetteredAndAnsweredWithEbadmsg() {
        CallType<byte[], byte[]> garbage = new CallType<>("ping", 1, Codecs.bytes(), Codecs.bytes());
        assertErrno(() -> call("vfs-service", garbage, new byte[] {(byte) 0xde, (byte) 0xad}), Errno.EBADMSG, "decode");
        assertDeadLettered("undecodable record");
        // and the listener goes on serving
        assertThat(call("vfs-service", Ping.CALL, new Ping.Request(1)).hops()).hasSize(4);
    }

    @Test
    void aPeerThatNobodyServesIsEioWithinTheDeadline() {
        long began = System.nanoTime();
        assertErrno(() -> buses.get("gateway").client().invoke("nobody-service", Ping.CALL, new Ping.Request(0),
                Duration.ofSeconds(1), TraceContext.of(new Task("test-dead", 2))), Errno.EIO, "./ext4sim start nobody-service");
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aPeerThatDoesNotAnswerInTimeIsEtimedout() {
        long began = System.nanoTime();
        assertErrno(() -> buses.get("jbd2-service").client().invoke("blockdev-service", STALL, new Ping.Request(0),
                Duration.ofMillis(800), TraceContext.of(new Task("test-slow", 3))), Errno.ETIMEDOUT, "800 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(5));
    }

    /** Not a timed test: prints the round trip of one call between two services, for the README. */
    @Test
    void roundTripLatency() {
        List<Long> micros = new ArrayList<>();
        TraceContext trace = TraceContext.of(new Task("bench", 5));
        for (int i = 0; i < 1_500; i++) {
            long t = System.nanoTime();
            buses.get("jbd2-service").client().invoke("blockdev-service", Ping.CALL, new Ping.Request(4), Duration.ofSeconds(5), trace);
            if (i >= 500) {
                micros.add((System.nanoTime() - t) / 1_000);
            }
        }
        long[] sorted = micros.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("bus round trip jbd2-service -> blockdev-service over %d calls: p50 %d us, p90 %d us, p99 %d us%n",
                sorted.length, sorted[sorted.length / 2], sorted[sorted.length * 9 / 10], sorted[sorted.length * 99 / 100]);
        assertThat(sorted).isNotEmpty();
    }

    static <Q, R> R call(String peer, CallType<Q, R> type, Q request) {
        return buses.get("gateway").client().invoke(peer, type, request, Duration.ofSeconds(10),
                TraceContext.of(new Task("test-bad", 9)));
    }

    static void assertErrno(Runnable call, Errno errno, String detailPart) {
        long began = System.nanoTime();
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ErrnoException.class, e -> {
            assertThat(e.errno()).isEqualTo(errno);
            assertThat(e.detail()).contains(detailPart);
        });
        if (errno != Errno.ETIMEDOUT && errno != Errno.EIO) {
            // answered, not timed out: well inside the 10 s deadline
            assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(5));
        }
    }

    static void assertDeadLettered(String reason) {
        await("a dead letter: " + reason, () -> readAll(Topics.DEAD_LETTER).stream().anyMatch(r ->
                r.headers().lastHeader(CallServer.DLT_REASON) != null
                        && new String(r.headers().lastHeader(CallServer.DLT_REASON).value()).startsWith(reason)),
                Duration.ofSeconds(10));
    }

    static List<ConsumerRecord<String, byte[]>> readAll(String topic) {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(KafkaSettings.consumer(broker.getBrokersAsString(), "test-read"))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (c.position(tp) < end && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            return out;
        }
    }

    /** Until {@code reader} has handed {@code sink} the five tracepoints of the ping traced as {@code trace}. */
    static void awaitPingEvents(String what, TraceReader reader, List<TraceEvent> sink, TraceContext trace) {
        await(what, () -> {
            reader.catchUp(Duration.ofSeconds(1));
            return sink.stream().filter(e -> e.traceId().equals(trace.traceId())).count() == 5;
        }, Duration.ofSeconds(20));
    }

    static void await(String what, BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(20); // pacing of a condition poll that has a deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

}
