package dev.ext4sim.bus.call;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Time;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving side of request/reply: decodes each record of this service's call topic and runs its handler on
 * its own (virtual) thread. A record that cannot be served goes to the dead-letter topic with one log line, and
 * its sender, when it can be told apart, gets an errno at once instead of waiting for its deadline.
 */
public final class CallServer {
    private static final Logger log = LoggerFactory.getLogger(CallServer.class);
    public static final String DLT_REASON = "ext4sim-dlt-reason";
    public static final String DLT_SERVICE = "ext4sim-dlt-service";

    private final String service;
    private final Transport transport;
    private final Time time;
    private final Executor handlers;
    private final Map<String, Registered<?, ?>> calls = new ConcurrentHashMap<>();

    private record Registered<Q, R>(CallType<Q, R> type, CallHandler<Q, R> handler) {
    }

    public CallServer(String service, Transport transport, Time time, Executor handlers) {
        this.service = Objects.requireNonNull(service);
        this.transport = Objects.requireNonNull(transport);
        this.time = Objects.requireNonNull(time);
        this.handlers = Objects.requireNonNull(handlers);
    }

    public <Q, R> CallServer register(CallType<Q, R> type, CallHandler<Q, R> handler) {
        if (calls.putIfAbsent(type.name(), new Registered<>(type, handler)) != null) {
            throw new IllegalStateException(service + " already serves " + type.name());
        }
        return this;
    }

    /** One record of this service's call topic; returns at once, the handler runs on the executor. */
    public void onRequest(Frame frame, String origin) {
        Request request;
        try {
            request = EnvelopeCodec.decodeRequest(frame);
        } catch (MalformedEnvelopeException e) {
            deadLetter(frame, origin, "malformed envelope: " + e.getMessage());
            if (e.answerable()) {
                reply(e.replyTo(), Reply.error(e.id(), Errno.EBADMSG,
                        service + " could not read the call: " + e.getMessage()));
            }
            return;
        }
        Registered<?, ?> registered = calls.get(request.call());
        if (registered == null) {
            String detail = service + " has no call '" + request.call() + "' (it serves " + new TreeSet<>(calls.keySet()) + ")";
            deadLetter(frame, origin, "unknown call type: " + detail);
            reply(request.replyTo(), Reply.error(request.id(), Errno.ENOSYS, detail));
            return;
        }
        if (registered.type().version() != request.version()) {
            String detail = service + " speaks version " + registered.type().version() + " of call '"
                    + request.call() + "', not version " + request.version() + "; run the same build of every service";
            deadLetter(frame, origin, "unknown schema version: " + detail);
            reply(request.replyTo(), Reply.error(request.id(), Errno.EPROTO, detail));
            return;
        }
        if (request.deadlineEpochMillis() < time.currentTimeMillis()) {
            log.debug("skipped {} {}: its caller stopped waiting", request.call(), request.id());
            return;
        }
        handlers.execute(() -> serve(registered, request, frame, origin));
    }

    private <Q, R> void serve(Registered<Q, R> registered, Request request, Frame frame, String origin) {
        Q body;
        try {
            body = registered.type().requestCodec().decode(request.body());
        } catch (RuntimeException e) {
            String detail = service + " could not decode the body of '" + request.call() + "': " + e.getMessage();
            deadLetter(frame, origin, "undecodable record: " + detail);
            reply(request.replyTo(), Reply.error(request.id(), Errno.EBADMSG, detail));
            return;
        }
        Reply reply;
        try {
            R result = registered.handler().handle(body,
                    new CallContext(request.call(), request.trace(), request.deadlineEpochMillis(), time));
            reply = Reply.ok(request.id(), registered.type().replyCodec().encode(result));
        } catch (ErrnoException e) {
            reply = Reply.error(request.id(), e.errno(), e.detail());
        } catch (Exception e) {
            log.error("{} failed while serving {}", service, request.call(), e);
            reply = Reply.error(request.id(), Errno.EIO, service + " failed while serving '" + request.call()
                    + "': " + e + "; see its log");
        }
        reply(request.replyTo(), reply);
    }

    private void reply(String topic, Reply reply) {
        transport.send(topic, null, EnvelopeCodec.encode(reply)).whenComplete((ok, error) -> {
            if (error != null) {
                log.warn("{} could not send its reply {} to {}: {}", service, reply.id(), topic, error.toString());
            }
        });
    }

    private void deadLetter(Frame frame, String origin, String reason) {
        DeadLetters.send(transport, service, frame, origin, reason);
    }
}
