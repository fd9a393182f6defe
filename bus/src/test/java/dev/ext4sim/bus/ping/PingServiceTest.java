package dev.ext4sim.bus.ping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallContext;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.call.EnvelopeCodec;
import dev.ext4sim.bus.call.MalformedEnvelopeException;
import dev.ext4sim.bus.call.PeerLiveness;
import dev.ext4sim.bus.call.Topics;
import dev.ext4sim.bus.testing.InMemoryTransport;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.bus.trace.Tracer;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ping chain gateway → vfs → ext4 on one {@link InMemoryTransport}. Each server's handler moves the manual
 * clock by 100 µs before and after serving, standing in for the bus, so the latencies are exact.
 */
class PingServiceTest {
    static final TraceContext TRACE = new TraceContext("5eed5eed5eed5eed", new Task("ping", 4242));
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    static final Duration TRANSIT = Duration.ofNanos(100_000);
    static final long PID = ProcessHandle.current().pid();

    ManualClock clock;
    InMemoryTransport transport;
    RecordingTraceSink sink;
    PingService gateway;

    private CallClient client(String service) {
        CallClient client = new CallClient(Topics.replies(service), transport, clock, clock, PeerLiveness.UNKNOWN,
                Runnable::run);
        transport.routeReplies(service, client);
        return client;
    }

    private PingService service(String name, Optional<String> next) {
        PingService ping = new PingService(name, next, client(name), new Tracer(name, clock.traceClock(), sink, 4),
                clock);
        CallServer server = new CallServer(name, transport, clock, Runnable::run).register(Ping.CALL, (req, ctx) -> {
            clock.advance(TRANSIT);
            Ping.Reply reply = ping.handle(req, ctx);
            clock.advance(TRANSIT);
            return reply;
        });
        transport.routeCalls(name, server);
        return ping;
    }

    @BeforeEach
    void setUp() {
        clock = new ManualClock();
        transport = new InMemoryTransport();
        sink = new RecordingTraceSink();
        gateway = service("gateway", Optional.of("vfs"));
        service("vfs", Optional.of("ext4"));
        service("ext4", Optional.empty());
    }

    @Test
    void theReplyListsEveryHopInOrderWithItsLatency() {
        Ping.Reply reply = gateway.ping(0, TRACE, TIMEOUT);

        assertThat(reply.hops()).containsExactly(
                new Ping.Hop(0, "gateway", PID, 400, 400),
                new Ping.Hop(1, "vfs", PID, 400, 200),
                new Ping.Hop(2, "ext4", PID, 200, 0));
        assertThat(clock.pendingTasks()).as("no call left with a timer").isZero();
    }

    @Test
    void eachServiceEmitsOneTracepointAsTheWriterTask() {
        gateway.ping(0, TRACE, TIMEOUT);

        List<TraceEvent> events = sink.events();
        assertThat(events).extracting(TraceEvent::service).containsExactly("ext4", "vfs", "gateway");
        assertThat(events).extracting(TraceEvent::text).containsExactly(
                "service ext4 hop 2 handled_us 0",
                "service vfs hop 1 handled_us 200",
                "service gateway hop 0 handled_us 400");
        assertThat(events).allSatisfy(e -> {
            assertThat(e.system()).isEqualTo("ext4sim");
            assertThat(e.event()).isEqualTo("ext4sim_ping");
            assertThat(e.traceId()).isEqualTo(TRACE.traceId());
            assertThat(e.task()).isEqualTo(TRACE.task());
            assertThat(e.fields()).containsOnlyKeys("service", "hop", "handled_us");
        });
        assertThat(events).extracting(TraceEvent::timestampNanos).containsExactly(200_000L, 300_000L, 400_000L);
    }

    @Test
    void aDownstreamCallGivesUpBeforeItsCaller() throws MalformedEnvelopeException {
        long now = clock.currentTimeMillis(); // the wall clock stays in this millisecond: the ping takes 400 µs

        gateway.ping(0, TRACE, TIMEOUT);

        long toVfs = EnvelopeCodec.decodeRequest(transport.last(Topics.calls("vfs"))).deadlineEpochMillis();
        long toExt4 = EnvelopeCodec.decodeRequest(transport.last(Topics.calls("ext4"))).deadlineEpochMillis();
        assertThat(toVfs).isEqualTo(now + 5_000);
        assertThat(toExt4).isLessThan(toVfs)
                .isEqualTo(now + new CallContext("ping", TRACE, toVfs, clock).downstreamTimeout().toMillis());
        assertThat(Ping.CALL.requestCodec().decode(transport.last(Topics.calls("ext4")).value()))
                .isEqualTo(new Ping.Request(2));
    }

    @Test
    void theLastHopAnswersAlone() {
        PingService alone = new PingService("blockdev", Optional.empty(), client("blockdev"),
                new Tracer("blockdev", clock.traceClock(), sink, 4), clock);

        Ping.Reply reply = alone.ping(4, TRACE, TIMEOUT);

        assertThat(reply.hops()).containsExactly(new Ping.Hop(4, "blockdev", PID, 0, 0));
        assertThat(transport.sent()).isEmpty();
        assertThat(sink.events()).singleElement()
                .satisfies(e -> assertThat(e.text()).isEqualTo("service blockdev hop 4 handled_us 0"));
    }

    @Test
    void aBrokenLinkFailsThePingWithTheErrnoOfTheFailedHop() {
        transport.failSendsTo(Topics.calls("ext4"), new ConnectException("Connection refused"));

        ErrnoException e = catchThrowableOfType(ErrnoException.class, () -> gateway.ping(0, TRACE, TIMEOUT));

        assertThat(e.errno()).isEqualTo(Errno.EIO);
        assertThat(e.detail()).contains("could not send ping to ext4");
        assertThat(sink.events()).as("no hop completed").isEmpty();
    }

    @Test
    void theReplyIsJsonOnTheWire() {
        Ping.Reply reply = new Ping.Reply(List.of(new Ping.Hop(0, "gateway", 7, 1, 2)));

        assertThat(Ping.CALL.replyCodec().decode(Ping.CALL.replyCodec().encode(reply))).isEqualTo(reply);
        assertThat(new String(Ping.CALL.replyCodec().encode(reply), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("{\"hops\":[{\"hop\":0,\"service\":\"gateway\",\"pid\":7,\"latencyUs\":1,\"handledUs\":2}]}");
    }
}
