package dev.ext4sim.bus.call;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.testing.InMemoryTransport;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CallClientTest {
    record Lookup(long dir, String name) {
    }

    record Found(long ino) {
    }

    static final CallType<Lookup, Found> LOOKUP = CallType.json("ext4_lookup", 2, Lookup.class, Found.class);
    static final String PEER = "ext4";
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    static final TraceContext TRACE = new TraceContext("00c0ffee00c0ffee", new Task("demo", 1234));

    ManualClock clock;
    InMemoryTransport transport;
    AtomicReference<Optional<Boolean>> alive;
    List<String> livenessAsked;
    CallClient client;

    @BeforeEach
    void setUp() {
        clock = new ManualClock();
        transport = new InMemoryTransport();
        alive = new AtomicReference<>(Optional.empty());
        livenessAsked = new ArrayList<>();
        PeerLiveness liveness = service -> {
            livenessAsked.add(service);
            return alive.get();
        };
        client = new CallClient(Topics.replies("vfs"), transport, clock, clock, liveness, Runnable::run);
    }

    private CompletableFuture<Found> lookup() {
        return client.call(PEER, LOOKUP, new Lookup(2, "hello"), TIMEOUT, TRACE);
    }

    private Request sentRequest() throws MalformedEnvelopeException {
        return EnvelopeCodec.decodeRequest(transport.last(Topics.calls(PEER)));
    }

    private static ErrnoException failure(CompletableFuture<?> future) {
        assertThat(future).isCompletedExceptionally();
        CompletionException e = catchThrowableOfType(CompletionException.class, future::join);
        assertThat(e.getCause()).isInstanceOf(ErrnoException.class);
        return (ErrnoException) e.getCause();
    }

    @Test
    void sendsTheRequestToThePeersCallTopic() throws Exception {
        lookup();

        assertThat(transport.sent()).singleElement().satisfies(s -> {
            assertThat(s.topic()).isEqualTo("ext4sim.ext4.calls");
            assertThat(s.key()).isEqualTo(PEER);
        });
        Request r = sentRequest();
        assertThat(r.call()).isEqualTo("ext4_lookup");
        assertThat(r.version()).isEqualTo(2);
        assertThat(r.replyTo()).isEqualTo("ext4sim.vfs.replies");
        assertThat(r.deadlineEpochMillis()).isEqualTo(clock.currentTimeMillis() + 2_000);
        assertThat(r.trace()).isEqualTo(TRACE);
        assertThat(LOOKUP.requestCodec().decode(r.body())).isEqualTo(new Lookup(2, "hello"));
        assertThat(client.inFlight()).isEqualTo(1);
    }

    @Test
    void aReplyCompletesTheCallWithTheDecodedValue() throws Exception {
        CompletableFuture<Found> future = lookup();
        assertThat(future).isNotDone();

        client.onReply(EnvelopeCodec.encode(Reply.ok(sentRequest().id(), LOOKUP.replyCodec().encode(new Found(12)))));

        assertThat(future).isCompletedWithValue(new Found(12));
        assertThat(client.inFlight()).isZero();
        assertThat(clock.pendingTasks()).as("the deadline timer is cancelled").isZero();
        clock.advance(TIMEOUT.multipliedBy(2));
        assertThat(future).isCompletedWithValue(new Found(12));
        assertThat(livenessAsked).isEmpty();
    }

    @Test
    void repliesAreMatchedById() throws Exception {
        CompletableFuture<Found> first = lookup();
        UUID a = sentRequest().id();
        CompletableFuture<Found> second = lookup();
        UUID b = sentRequest().id();

        client.onReply(EnvelopeCodec.encode(Reply.ok(b, LOOKUP.replyCodec().encode(new Found(13)))));
        assertThat(second).isCompletedWithValue(new Found(13));
        assertThat(first).isNotDone();
        client.onReply(EnvelopeCodec.encode(Reply.ok(a, LOOKUP.replyCodec().encode(new Found(12)))));
        assertThat(first).isCompletedWithValue(new Found(12));
        assertThat(a).isNotEqualTo(b);
    }

    static Stream<Optional<Boolean>> aliveOrUnknown() {
        return Stream.of(Optional.of(true), Optional.empty());
    }

    @ParameterizedTest
    @MethodSource("aliveOrUnknown")
    void anUnansweredCallTimesOutAtItsDeadline(Optional<Boolean> peerAlive) {
        alive.set(peerAlive);
        CompletableFuture<Found> future = lookup();

        clock.advance(TIMEOUT.minusMillis(1));
        assertThat(future).as("nothing happens before the deadline").isNotDone();
        assertThat(livenessAsked).isEmpty();
        assertThat(client.inFlight()).isEqualTo(1);

        clock.advanceMillis(1);
        ErrnoException e = failure(future);
        assertThat(e.errno()).isEqualTo(Errno.ETIMEDOUT);
        assertThat(e.detail()).contains("ext4").contains("ext4_lookup").contains("2000 ms");
        assertThat(livenessAsked).containsExactly(PEER);
        assertThat(client.inFlight()).isZero();
    }

    @Test
    void aDeadPeerFailsWithEioThatSaysHowToStartIt() {
        alive.set(Optional.of(false));
        CompletableFuture<Found> future = lookup();

        clock.advance(TIMEOUT);

        ErrnoException e = failure(future);
        assertThat(e.errno()).isEqualTo(Errno.EIO);
        assertThat(e.detail())
                .contains("no instance of ext4")
                .contains("ext4sim.ext4.calls")
                .contains("ext4_lookup")
                .contains("2000 ms")
                .endsWith("start it: ./ext4sim start ext4");
    }

    @Test
    void aSendThatFailsIsEioAtOnce() {
        transport.failSends(new CompletionException(new ConnectException("Connection refused")));

        CompletableFuture<Found> future = lookup();

        ErrnoException e = failure(future);
        assertThat(e.errno()).isEqualTo(Errno.EIO);
        assertThat(e.detail())
                .contains("could not send ext4_lookup to ext4")
                .contains("ConnectException: Connection refused")
                .contains("./ext4sim status");
        assertThat(client.inFlight()).isZero();
        assertThat(clock.pendingTasks()).as("no timer left behind").isZero();
        assertThat(clock.elapsed()).isZero();
        assertThat(livenessAsked).isEmpty();
    }

    @Test
    void invokeThrowsTheCallsErrnoExceptionItself() {
        transport.failSends(new IllegalStateException("producer closed"));

        ErrnoException e = catchThrowableOfType(ErrnoException.class,
                () -> client.invoke(PEER, LOOKUP, new Lookup(2, "x"), TIMEOUT, TRACE));

        assertThat(e.errno()).isEqualTo(Errno.EIO);
        assertThat(e.detail()).contains("IllegalStateException: producer closed");
    }

    @Test
    void invokeReturnsTheReplyWhenThePeerAnswers() {
        transport.route(Topics.calls(PEER), frame -> {
            try {
                Request r = EnvelopeCodec.decodeRequest(frame);
                client.onReply(EnvelopeCodec.encode(Reply.ok(r.id(), LOOKUP.replyCodec().encode(new Found(99)))));
            } catch (MalformedEnvelopeException e) {
                throw new AssertionError(e);
            }
        });

        assertThat(client.invoke(PEER, LOOKUP, new Lookup(2, "x"), TIMEOUT, TRACE)).isEqualTo(new Found(99));
    }

    @Test
    void anErrorReplyFailsWithThePeersErrnoAndDetail() throws Exception {
        CompletableFuture<Found> future = lookup();

        client.onReply(EnvelopeCodec.encode(Reply.error(sentRequest().id(), Errno.ENOENT, "no 'hello' in directory 2")));

        ErrnoException e = failure(future);
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
        assertThat(e.detail()).isEqualTo("no 'hello' in directory 2");
        assertThat(client.inFlight()).isZero();
        assertThat(clock.pendingTasks()).isZero();
    }

    @Test
    void anUndecodableReplyBodyIsEbadmsg() throws Exception {
        CompletableFuture<Found> future = lookup();

        client.onReply(EnvelopeCodec.encode(Reply.ok(sentRequest().id(), "]]".getBytes(StandardCharsets.UTF_8))));

        ErrnoException e = failure(future);
        assertThat(e.errno()).isEqualTo(Errno.EBADMSG);
        assertThat(e.detail()).contains("ext4").contains("ext4_lookup");
    }

    @Test
    void aLateReplyAfterExpiryIsIgnored() throws Exception {
        CompletableFuture<Found> future = lookup();
        UUID id = sentRequest().id();
        clock.advance(TIMEOUT);
        assertThat(failure(future).errno()).isEqualTo(Errno.ETIMEDOUT);

        client.onReply(EnvelopeCodec.encode(Reply.ok(id, LOOKUP.replyCodec().encode(new Found(12)))));

        assertThat(failure(future).errno()).isEqualTo(Errno.ETIMEDOUT);
        assertThat(client.inFlight()).isZero();
    }

    @Test
    void aMalformedOrUnknownReplyIsDroppedAndTheCallStillWaits() {
        CompletableFuture<Found> future = lookup();

        client.onReply(new Frame(Map.of(), new byte[] {1, 2, 3}));
        client.onReply(EnvelopeCodec.encode(Reply.ok(UUID.randomUUID(), new byte[0])));

        assertThat(future).isNotDone();
        assertThat(client.inFlight()).isEqualTo(1);
    }

    @Test
    void anUnencodableRequestIsEinvalAndNothingIsSent() {
        Codec<Lookup> broken = new Codec<>() {
            @Override
            public byte[] encode(Lookup value) {
                throw new IllegalStateException("cannot encode");
            }

            @Override
            public Lookup decode(byte[] bytes) {
                throw new UnsupportedOperationException();
            }
        };
        CallType<Lookup, Found> type = new CallType<>("ext4_lookup", 2, broken, LOOKUP.replyCodec());

        CompletableFuture<Found> future = client.call(PEER, type, new Lookup(1, "a"), TIMEOUT, TRACE);

        assertThat(failure(future).errno()).isEqualTo(Errno.EINVAL);
        assertThat(transport.sent()).isEmpty();
        assertThat(client.inFlight()).isZero();
        assertThat(clock.pendingTasks()).isZero();
    }

    /**
     * A timer thread may run a zero-delay task before {@code schedule} has even returned to the caller. Such a
     * scheduler must still fail the call (PingService passes {@code context.remaining()}, which is zero once the
     * caller's deadline has passed), and the call must not wait forever.
     */
    @Test
    void aTimerThatFiresAtOnceStillFailsTheCall() {
        Scheduler eager = (delay, task) -> {
            if (!delay.isPositive()) {
                task.run();
            }
            return () -> {
            };
        };
        CallClient c = new CallClient(Topics.replies("vfs"), transport, clock, eager, PeerLiveness.UNKNOWN,
                Runnable::run);

        CompletableFuture<Found> future = c.call(PEER, LOOKUP, new Lookup(2, "x"), Duration.ZERO, TRACE);

        assertThat(future).as("a zero timeout must not leave the call waiting forever").isDone();
        assertThat(failure(future).errno()).isEqualTo(Errno.ETIMEDOUT);
        assertThat(c.inFlight()).isZero();
    }
}
