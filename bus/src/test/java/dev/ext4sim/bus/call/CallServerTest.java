package dev.ext4sim.bus.call;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.testing.InMemoryTransport;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CallServerTest {
    record Open(String path, int flags) {
    }

    record Fd(int fd) {
    }

    static final CallType<Open, Fd> OPEN = CallType.json("vfs_open", 1, Open.class, Fd.class);
    static final CallType<Open, Fd> CLOSE = CallType.json("vfs_close", 1, Open.class, Fd.class);
    static final String REPLY_TO = Topics.replies("gateway");
    static final TraceContext TRACE = new TraceContext("feedfacefeedface", new Task("demo", 1234));

    ManualClock clock;
    InMemoryTransport transport;
    CallServer server;
    List<Open> handled;
    AtomicReference<CallContext> seenContext;

    @BeforeEach
    void setUp() {
        clock = new ManualClock();
        transport = new InMemoryTransport();
        server = new CallServer("vfs", transport, clock, Runnable::run);
        handled = new ArrayList<>();
        seenContext = new AtomicReference<>();
        server.register(OPEN, (q, ctx) -> {
            handled.add(q);
            seenContext.set(ctx);
            if (q.path().equals("/closed")) {
                throw new ErrnoException(Errno.EBADF, "fd 3 is not open; open the file first");
            }
            if (q.path().equals("/bug")) {
                throw new IllegalStateException("inode table corrupt");
            }
            return new Fd(3);
        });
    }

    private Request request(UUID id, String call, int version, byte[] body, long deadline) {
        return new Request(call, version, id, REPLY_TO, deadline, TRACE, body);
    }

    private Frame openFrame(UUID id, Open open) {
        return EnvelopeCodec.encode(request(id, "vfs_open", 1, OPEN.requestCodec().encode(open),
                clock.currentTimeMillis() + 5_000));
    }

    private Reply onlyReply() throws MalformedEnvelopeException {
        assertThat(transport.sent(REPLY_TO)).hasSize(1);
        return EnvelopeCodec.decodeReply(transport.last(REPLY_TO));
    }

    private Frame onlyDeadLetter() {
        assertThat(transport.sent(Topics.DEAD_LETTER)).hasSize(1);
        return transport.last(Topics.DEAD_LETTER);
    }

    private static String header(Frame frame, String name) {
        byte[] v = frame.header(name);
        assertThat(v).as("header " + name).isNotNull();
        return new String(v, StandardCharsets.UTF_8);
    }

    @Test
    void aHandlersResultComesBackOnTheReplyToTopic() throws Exception {
        UUID id = UUID.randomUUID();

        server.onRequest(openFrame(id, new Open("/hello", 0x41)), "test");

        Reply reply = onlyReply();
        assertThat(reply.id()).isEqualTo(id);
        assertThat(reply.failed()).isFalse();
        assertThat(OPEN.replyCodec().decode(reply.body())).isEqualTo(new Fd(3));
        assertThat(handled).containsExactly(new Open("/hello", 0x41));
        assertThat(transport.topics()).containsExactly(REPLY_TO);
    }

    @Test
    void theHandlerSeesTheCallTheTraceAndTheTimeLeft() {
        server.onRequest(openFrame(UUID.randomUUID(), new Open("/hello", 0)), "test");

        CallContext ctx = seenContext.get();
        assertThat(ctx.call()).isEqualTo("vfs_open");
        assertThat(ctx.trace()).isEqualTo(TRACE);
        assertThat(ctx.remaining()).isEqualTo(Duration.ofSeconds(5));
        clock.advanceMillis(1_500);
        assertThat(ctx.remaining()).isEqualTo(Duration.ofMillis(3_500));
        clock.advanceMillis(10_000);
        assertThat(ctx.remaining()).isZero();
    }

    @Test
    void anErrnoExceptionBecomesAnErrorReplyWithThatErrno() throws Exception {
        UUID id = UUID.randomUUID();

        server.onRequest(openFrame(id, new Open("/closed", 0)), "test");

        Reply reply = onlyReply();
        assertThat(reply.id()).isEqualTo(id);
        assertThat(reply.errno()).isEqualTo(Errno.EBADF);
        assertThat(reply.detail()).isEqualTo("fd 3 is not open; open the file first");
        assertThat(transport.sent(Topics.DEAD_LETTER)).isEmpty();
    }

    @Test
    void anyOtherExceptionBecomesEio() throws Exception {
        server.onRequest(openFrame(UUID.randomUUID(), new Open("/bug", 0)), "test");

        Reply reply = onlyReply();
        assertThat(reply.errno()).isEqualTo(Errno.EIO);
        assertThat(reply.detail()).contains("vfs").contains("vfs_open").contains("inode table corrupt");
    }

    @Test
    void anUnknownCallTypeIsEnosysAndDeadLettered() throws Exception {
        UUID id = UUID.randomUUID();
        Frame frame = EnvelopeCodec.encode(request(id, "vfs_mmap", 1, new byte[] {1, 2},
                clock.currentTimeMillis() + 5_000));

        server.onRequest(frame, "ext4sim.vfs.calls-0@17");

        Reply reply = onlyReply();
        assertThat(reply.id()).isEqualTo(id);
        assertThat(reply.errno()).isEqualTo(Errno.ENOSYS);
        assertThat(reply.detail()).contains("vfs_mmap").contains("[vfs_open]");
        Frame dlt = onlyDeadLetter();
        assertThat(header(dlt, CallServer.DLT_REASON)).startsWith("unknown call type").contains("vfs_mmap");
        assertThat(header(dlt, CallServer.DLT_SERVICE)).isEqualTo("vfs");
        assertThat(header(dlt, EnvelopeCodec.CALL)).as("original headers kept").isEqualTo("vfs_mmap");
        assertThat(dlt.value()).containsExactly(1, 2);
        assertThat(handled).isEmpty();
    }

    @Test
    void anUnknownSchemaVersionIsEprotoAndDeadLettered() throws Exception {
        Frame frame = EnvelopeCodec.encode(request(UUID.randomUUID(), "vfs_open", 2,
                OPEN.requestCodec().encode(new Open("/hello", 0)), clock.currentTimeMillis() + 5_000));

        server.onRequest(frame, "test");

        Reply reply = onlyReply();
        assertThat(reply.errno()).isEqualTo(Errno.EPROTO);
        assertThat(reply.detail()).contains("version 1").contains("not version 2");
        assertThat(header(onlyDeadLetter(), CallServer.DLT_REASON)).startsWith("unknown schema version");
        assertThat(handled).isEmpty();
    }

    @Test
    void anUndecodableBodyIsEbadmsgAndDeadLettered() throws Exception {
        Frame frame = EnvelopeCodec.encode(request(UUID.randomUUID(), "vfs_open", 1,
                "{\"path\":".getBytes(StandardCharsets.UTF_8), clock.currentTimeMillis() + 5_000));

        server.onRequest(frame, "test");

        Reply reply = onlyReply();
        assertThat(reply.errno()).isEqualTo(Errno.EBADMSG);
        assertThat(reply.detail()).contains("vfs_open");
        assertThat(header(onlyDeadLetter(), CallServer.DLT_REASON)).startsWith("undecodable record");
        assertThat(handled).isEmpty();
    }

    @Test
    void aMalformedButAnswerableEnvelopeIsEbadmsgAndDeadLettered() throws Exception {
        UUID id = UUID.randomUUID();
        Map<String, byte[]> h = new LinkedHashMap<>(openFrame(id, new Open("/hello", 0)).headers());
        h.put(EnvelopeCodec.VERSION, "one".getBytes(StandardCharsets.UTF_8));

        server.onRequest(new Frame(h, new byte[0]), "test");

        Reply reply = onlyReply();
        assertThat(reply.id()).isEqualTo(id);
        assertThat(reply.errno()).isEqualTo(Errno.EBADMSG);
        assertThat(header(onlyDeadLetter(), CallServer.DLT_REASON)).startsWith("malformed envelope");
    }

    @Test
    void aFrameWithoutIdOrReplyToIsOnlyDeadLettered() {
        Map<String, byte[]> noId = new LinkedHashMap<>(openFrame(UUID.randomUUID(), new Open("/a", 0)).headers());
        noId.remove(EnvelopeCodec.ID);
        Map<String, byte[]> noReplyTo = new LinkedHashMap<>(openFrame(UUID.randomUUID(), new Open("/b", 0)).headers());
        noReplyTo.remove(EnvelopeCodec.REPLY_TO);

        server.onRequest(new Frame(noId, new byte[0]), "test");
        server.onRequest(new Frame(noReplyTo, new byte[0]), "test");
        server.onRequest(new Frame(Map.of(), "junk".getBytes(StandardCharsets.UTF_8)), "test");

        assertThat(transport.topics()).containsExactly(Topics.DEAD_LETTER);
        assertThat(transport.sent(Topics.DEAD_LETTER)).hasSize(3)
                .allSatisfy(f -> assertThat(header(f, CallServer.DLT_REASON)).startsWith("malformed envelope"));
        assertThat(transport.sent(Topics.DEAD_LETTER).get(2).value()).asString(StandardCharsets.UTF_8).isEqualTo("junk");
        assertThat(handled).isEmpty();
    }

    @Test
    void aRequestWhoseDeadlinePassedIsNotHandled() {
        Frame frame = openFrame(UUID.randomUUID(), new Open("/hello", 0)); // deadline now + 5 s
        clock.advance(Duration.ofMillis(5_001));

        server.onRequest(frame, "test");

        assertThat(handled).isEmpty();
        assertThat(transport.sent()).as("no reply, no dead letter").isEmpty();
    }

    @Test
    void aRequestAtItsDeadlineIsStillHandled() throws Exception {
        Frame frame = openFrame(UUID.randomUUID(), new Open("/hello", 0));
        clock.advance(Duration.ofMillis(5_000));

        server.onRequest(frame, "test");

        assertThat(handled).hasSize(1);
        assertThat(onlyReply().failed()).isFalse();
    }

    @Test
    void theHandlerRunsOnTheExecutorNotOnThePollThread() throws Exception {
        List<Runnable> queued = new ArrayList<>();
        CallServer queuedServer = new CallServer("vfs", transport, clock, queued::add).register(OPEN, (q, ctx) -> new Fd(4));

        queuedServer.onRequest(openFrame(UUID.randomUUID(), new Open("/x", 0)), "test");
        assertThat(transport.sent()).isEmpty();
        assertThat(queued).hasSize(1);

        queued.getFirst().run();
        assertThat(OPEN.replyCodec().decode(onlyReply().body())).isEqualTo(new Fd(4));
    }

    @Test
    void aCallTypeIsRegisteredOnce() {
        server.register(CLOSE, (q, ctx) -> new Fd(0));

        assertThatThrownBy(() -> server.register(OPEN, (q, ctx) -> new Fd(0)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("vfs_open");
    }

    @Test
    void aFailedReplySendIsNotThrownAtThePollLoop() {
        transport.failSendsTo(REPLY_TO, new IllegalStateException("broker down"));

        server.onRequest(openFrame(UUID.randomUUID(), new Open("/hello", 0)), "test");

        assertThat(handled).hasSize(1);
        assertThat(transport.failedSends()).isEqualTo(1);
    }
}
