package dev.ext4sim.bus.call;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Requests and replies to and from {@link Frame}s. The header names are the wire contract between services;
 * their layout does not change with a call's schema version.
 */
public final class EnvelopeCodec {
    public static final String KIND = "ext4sim-kind";
    public static final String CALL = "ext4sim-call";
    public static final String VERSION = "ext4sim-v";
    public static final String ID = "ext4sim-id";
    public static final String REPLY_TO = "ext4sim-reply-to";
    public static final String DEADLINE = "ext4sim-deadline";
    public static final String ERRNO = "ext4sim-errno";
    public static final String DETAIL = "ext4sim-detail";
    public static final String TRACE_ID = "ext4sim-trace";
    public static final String COMM = "ext4sim-comm";
    public static final String PID = "ext4sim-pid";

    static final String KIND_CALL = "call";
    static final String KIND_REPLY = "reply";

    private EnvelopeCodec() {
    }

    public static Frame encode(Request request) {
        Map<String, byte[]> h = new LinkedHashMap<>();
        h.put(KIND, utf8(KIND_CALL));
        h.put(CALL, utf8(request.call()));
        h.put(VERSION, utf8(Integer.toString(request.version())));
        h.put(ID, uuid(request.id()));
        h.put(REPLY_TO, utf8(request.replyTo()));
        h.put(DEADLINE, ByteBuffer.allocate(Long.BYTES).putLong(request.deadlineEpochMillis()).array());
        putTrace(h, request.trace());
        return new Frame(h, request.body());
    }

    public static Frame encode(Reply reply) {
        Map<String, byte[]> h = new LinkedHashMap<>();
        h.put(KIND, utf8(KIND_REPLY));
        h.put(ID, uuid(reply.id()));
        if (reply.failed()) {
            h.put(ERRNO, utf8(reply.errno().name()));
            h.put(DETAIL, utf8(reply.detail()));
        }
        return new Frame(h, reply.body());
    }

    /**
     * Reads the routing part of a request. The version is returned as sent; whether this service speaks it is
     * the server's decision.
     */
    public static Request decodeRequest(Frame frame) throws MalformedEnvelopeException {
        requireKind(frame, KIND_CALL);
        UUID id = uuidHeader(frame, ID);
        String replyTo = string(frame, REPLY_TO, id, null);
        String call = string(frame, CALL, id, replyTo);
        int version;
        try {
            version = Integer.parseInt(string(frame, VERSION, id, replyTo));
        } catch (NumberFormatException e) {
            throw new MalformedEnvelopeException("header " + VERSION + " is not a number", id, replyTo);
        }
        byte[] deadline = frame.header(DEADLINE);
        if (deadline == null || deadline.length != Long.BYTES) {
            throw new MalformedEnvelopeException("header " + DEADLINE + " is missing or not 8 bytes", id, replyTo);
        }
        return new Request(call, version, id, replyTo, ByteBuffer.wrap(deadline).getLong(), traceOf(frame), frame.value());
    }

    public static Reply decodeReply(Frame frame) throws MalformedEnvelopeException {
        requireKind(frame, KIND_REPLY);
        UUID id = uuidHeader(frame, ID);
        byte[] errno = frame.header(ERRNO);
        if (errno == null) {
            return Reply.ok(id, frame.value());
        }
        String name = new String(errno, StandardCharsets.UTF_8);
        byte[] detail = frame.header(DETAIL);
        String text = detail == null ? "" : new String(detail, StandardCharsets.UTF_8);
        return Errno.byName(name)
                .map(e -> Reply.error(id, e, text))
                .orElseGet(() -> Reply.error(id, Errno.EIO, "peer answered with unknown errno " + name + ": " + text));
    }

    private static void putTrace(Map<String, byte[]> h, TraceContext trace) {
        if (trace == null) {
            return;
        }
        h.put(TRACE_ID, utf8(trace.traceId()));
        h.put(COMM, utf8(trace.task().comm()));
        h.put(PID, utf8(Integer.toString(trace.task().pid())));
    }

    /** The trace context a frame carries, or null when it carries none. */
    public static TraceContext traceOf(Frame frame) {
        byte[] id = frame.header(TRACE_ID);
        byte[] comm = frame.header(COMM);
        byte[] pid = frame.header(PID);
        if (id == null || comm == null || pid == null) {
            return null;
        }
        try {
            return new TraceContext(new String(id, StandardCharsets.UTF_8),
                    new Task(new String(comm, StandardCharsets.UTF_8),
                            Integer.parseInt(new String(pid, StandardCharsets.UTF_8))));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static void requireKind(Frame frame, String kind) throws MalformedEnvelopeException {
        byte[] k = frame.header(KIND);
        if (k == null || !kind.equals(new String(k, StandardCharsets.UTF_8))) {
            throw new MalformedEnvelopeException("header " + KIND + " is not '" + kind + "'", null, null);
        }
    }

    private static String string(Frame frame, String name, UUID id, String replyTo)
            throws MalformedEnvelopeException {
        byte[] v = frame.header(name);
        if (v == null) {
            throw new MalformedEnvelopeException("header " + name + " is missing", id, replyTo);
        }
        return new String(v, StandardCharsets.UTF_8);
    }

    private static UUID uuidHeader(Frame frame, String name) throws MalformedEnvelopeException {
        byte[] v = frame.header(name);
        if (v == null || v.length != 16) {
            throw new MalformedEnvelopeException("header " + name + " is missing or not 16 bytes", null, null);
        }
        ByteBuffer b = ByteBuffer.wrap(v);
        return new UUID(b.getLong(), b.getLong());
    }

    private static byte[] uuid(UUID id) {
        return ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).array();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
