package dev.ext4sim.bus.call;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EnvelopeCodecTest {
    private static final UUID ID = UUID.fromString("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    private static final long DEADLINE = 1_767_225_600_123L;

    private static Request request(TraceContext trace, byte[] body) {
        return new Request("ext4_da_write_begin", 3, ID, "ext4sim.vfs.replies", DEADLINE, trace, body);
    }

    private static byte[] allByteValues() {
        byte[] b = new byte[256];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    @Test
    void requestRoundTripKeepsEveryField() throws Exception {
        TraceContext trace = new TraceContext("c0ffee0123456789", new Task("demo", 1234));
        Request sent = request(trace, allByteValues());

        Request got = EnvelopeCodec.decodeRequest(EnvelopeCodec.encode(sent));

        assertThat(got.call()).isEqualTo("ext4_da_write_begin");
        assertThat(got.version()).isEqualTo(3);
        assertThat(got.id()).isEqualTo(ID);
        assertThat(got.replyTo()).isEqualTo("ext4sim.vfs.replies");
        assertThat(got.deadlineEpochMillis()).isEqualTo(DEADLINE);
        assertThat(got.trace()).isEqualTo(trace);
        assertThat(got.body()).isEqualTo(allByteValues());
    }

    @Test
    void requestHeadersAreTheWireContract() {
        Frame frame = EnvelopeCodec.encode(request(new TraceContext("abc", new Task("demo", 1234)), new byte[] {1}));

        assertThat(new String(frame.header(EnvelopeCodec.KIND), StandardCharsets.UTF_8)).isEqualTo("call");
        assertThat(new String(frame.header(EnvelopeCodec.CALL), StandardCharsets.UTF_8)).isEqualTo("ext4_da_write_begin");
        assertThat(new String(frame.header(EnvelopeCodec.VERSION), StandardCharsets.UTF_8)).isEqualTo("3");
        assertThat(frame.header(EnvelopeCodec.ID)).hasSize(16);
        assertThat(ByteBuffer.wrap(frame.header(EnvelopeCodec.DEADLINE)).getLong()).isEqualTo(DEADLINE);
        assertThat(new String(frame.header(EnvelopeCodec.COMM), StandardCharsets.UTF_8)).isEqualTo("demo");
        assertThat(new String(frame.header(EnvelopeCodec.PID), StandardCharsets.UTF_8)).isEqualTo("1234");
        assertThat(frame.value()).containsExactly(1);
    }

    @Test
    void requestWithoutTraceDecodesWithoutTraceAndEmptyBody() throws Exception {
        Frame frame = EnvelopeCodec.encode(request(null, null));

        assertThat(frame.headers()).doesNotContainKeys(EnvelopeCodec.TRACE_ID, EnvelopeCodec.COMM, EnvelopeCodec.PID);
        Request got = EnvelopeCodec.decodeRequest(frame);
        assertThat(got.trace()).isNull();
        assertThat(got.body()).isEmpty();
    }

    @Test
    void unreadableTraceHeadersDropTheTraceNotTheRequest() throws Exception {
        Map<String, byte[]> h = new LinkedHashMap<>(EnvelopeCodec.encode(
                request(new TraceContext("abc", new Task("demo", 1)), new byte[0])).headers());
        h.put(EnvelopeCodec.PID, "not-a-pid".getBytes(StandardCharsets.UTF_8));

        Request got = EnvelopeCodec.decodeRequest(new Frame(h, new byte[0]));

        assertThat(got.trace()).isNull();
        assertThat(got.id()).isEqualTo(ID);
    }

    @Test
    void okReplyRoundTrip() throws Exception {
        Reply got = EnvelopeCodec.decodeReply(EnvelopeCodec.encode(Reply.ok(ID, allByteValues())));

        assertThat(got.id()).isEqualTo(ID);
        assertThat(got.failed()).isFalse();
        assertThat(got.errno()).isNull();
        assertThat(got.detail()).isNull();
        assertThat(got.body()).isEqualTo(allByteValues());
    }

    @Test
    void errorReplyKeepsErrnoAndDetail() throws Exception {
        Frame frame = EnvelopeCodec.encode(Reply.error(ID, Errno.ENOSPC, "sda1 has no free block; delete a file"));

        assertThat(frame.headers()).containsKeys(EnvelopeCodec.ERRNO, EnvelopeCodec.DETAIL);
        Reply got = EnvelopeCodec.decodeReply(frame);
        assertThat(got.id()).isEqualTo(ID);
        assertThat(got.failed()).isTrue();
        assertThat(got.errno()).isEqualTo(Errno.ENOSPC);
        assertThat(got.detail()).isEqualTo("sda1 has no free block; delete a file");
        assertThat(got.body()).isEmpty();
    }

    @Test
    void unknownErrnoNameInAReplyIsEio() throws Exception {
        Map<String, byte[]> h = new LinkedHashMap<>(EnvelopeCodec.encode(Reply.error(ID, Errno.EPERM, "nope")).headers());
        h.put(EnvelopeCodec.ERRNO, "EWOULDBLOCKX".getBytes(StandardCharsets.UTF_8));

        Reply got = EnvelopeCodec.decodeReply(new Frame(h, null));

        assertThat(got.errno()).isEqualTo(Errno.EIO);
        assertThat(got.detail()).contains("EWOULDBLOCKX").contains("nope");
        assertThat(got.id()).isEqualTo(ID);
    }

    @Test
    void aReplyIsNotARequestAndViceVersa() {
        Frame reply = EnvelopeCodec.encode(Reply.ok(ID, new byte[0]));
        Frame call = EnvelopeCodec.encode(request(null, new byte[0]));

        assertThat(catchThrowableOfType(MalformedEnvelopeException.class, () -> EnvelopeCodec.decodeRequest(reply)))
                .hasMessageContaining(EnvelopeCodec.KIND);
        assertThat(catchThrowableOfType(MalformedEnvelopeException.class, () -> EnvelopeCodec.decodeReply(call)))
                .hasMessageContaining(EnvelopeCodec.KIND);
    }

    // ---- malformed requests ----

    private static Frame requestWithout(String header) {
        Map<String, byte[]> h = new LinkedHashMap<>(EnvelopeCodec.encode(request(null, new byte[] {7})).headers());
        h.remove(header);
        return new Frame(h, new byte[] {7});
    }

    private static Frame requestWith(String header, String value) {
        Map<String, byte[]> h = new LinkedHashMap<>(EnvelopeCodec.encode(request(null, new byte[] {7})).headers());
        h.put(header, value.getBytes(StandardCharsets.UTF_8));
        return new Frame(h, new byte[] {7});
    }

    private static MalformedEnvelopeException malformed(Frame frame) {
        MalformedEnvelopeException e = catchThrowableOfType(MalformedEnvelopeException.class,
                () -> EnvelopeCodec.decodeRequest(frame));
        assertThat(e).as("decodeRequest must refuse the frame").isNotNull();
        return e;
    }

    @Test
    void missingKindIsMalformedAndNotAnswerable() {
        MalformedEnvelopeException e = malformed(requestWithout(EnvelopeCodec.KIND));

        assertThat(e).hasMessageContaining(EnvelopeCodec.KIND);
        assertThat(e.answerable()).isFalse();
    }

    @Test
    void missingIdIsMalformedAndNotAnswerable() {
        MalformedEnvelopeException e = malformed(requestWithout(EnvelopeCodec.ID));

        assertThat(e).hasMessageContaining(EnvelopeCodec.ID);
        assertThat(e.id()).isNull();
        assertThat(e.answerable()).isFalse();
    }

    @Test
    void idOfWrongLengthIsMalformed() {
        Frame frame = requestWith(EnvelopeCodec.ID, "short");

        assertThat(malformed(frame).answerable()).isFalse();
    }

    @Test
    void missingReplyToIsMalformedWithTheIdButNotAnswerable() {
        MalformedEnvelopeException e = malformed(requestWithout(EnvelopeCodec.REPLY_TO));

        assertThat(e).hasMessageContaining(EnvelopeCodec.REPLY_TO);
        assertThat(e.id()).isEqualTo(ID);
        assertThat(e.replyTo()).isNull();
        assertThat(e.answerable()).isFalse();
    }

    @Test
    void badVersionHeaderIsMalformedButAnswerable() {
        MalformedEnvelopeException e = malformed(requestWith(EnvelopeCodec.VERSION, "v2"));

        assertThat(e).hasMessageContaining(EnvelopeCodec.VERSION);
        assertThat(e.id()).isEqualTo(ID);
        assertThat(e.replyTo()).isEqualTo("ext4sim.vfs.replies");
        assertThat(e.answerable()).isTrue();
    }

    @Test
    void missingVersionHeaderIsMalformedButAnswerable() {
        MalformedEnvelopeException e = malformed(requestWithout(EnvelopeCodec.VERSION));

        assertThat(e).hasMessageContaining(EnvelopeCodec.VERSION);
        assertThat(e.answerable()).isTrue();
    }

    @Test
    void missingCallHeaderIsMalformedButAnswerable() {
        MalformedEnvelopeException e = malformed(requestWithout(EnvelopeCodec.CALL));

        assertThat(e).hasMessageContaining(EnvelopeCodec.CALL);
        assertThat(e.answerable()).isTrue();
    }

    @Test
    void deadlineOfWrongLengthIsMalformedButAnswerable() {
        MalformedEnvelopeException e = malformed(requestWith(EnvelopeCodec.DEADLINE, "soon"));

        assertThat(e).hasMessageContaining(EnvelopeCodec.DEADLINE);
        assertThat(e.answerable()).isTrue();
    }

    @Test
    void replyWithoutIdIsMalformed() {
        Map<String, byte[]> h = new LinkedHashMap<>(EnvelopeCodec.encode(Reply.ok(ID, new byte[0])).headers());
        h.remove(EnvelopeCodec.ID);

        assertThat(catchThrowableOfType(MalformedEnvelopeException.class,
                () -> EnvelopeCodec.decodeReply(new Frame(h, null)))).hasMessageContaining(EnvelopeCodec.ID);
    }

    @Test
    void frameIsImmutableAndNullValueIsEmpty() {
        Map<String, byte[]> h = new LinkedHashMap<>();
        h.put("a", new byte[] {1});
        Frame frame = new Frame(h, null);
        h.put("b", new byte[] {2});

        assertThat(frame.headers()).containsOnlyKeys("a");
        assertThat(frame.value()).isEmpty();
        assertThat(catchThrowableOfType(UnsupportedOperationException.class,
                () -> frame.headers().put("c", new byte[0]))).isNotNull();
    }
}
