package dev.ext4sim.bus.call;

import dev.ext4sim.bus.trace.TraceContext;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * One-way events on the events topic: publish to everyone, and deliver what arrives to the handlers this service
 * subscribed. An event of an unknown version or an undecodable one is dead-lettered with one log line; events of
 * types this service does not subscribe to are not its business and are skipped.
 */
public final class Events {
    public static final String EVENT = "ext4sim-event";
    static final String KIND_EVENT = "event";

    private final String service;
    private final Transport transport;
    private final Map<String, Subscription<?>> subscriptions = new ConcurrentHashMap<>();

    private record Subscription<T>(EventType<T> type, BiConsumer<T, TraceContext> handler) {
    }

    public Events(String service, Transport transport) {
        this.service = Objects.requireNonNull(service);
        this.transport = Objects.requireNonNull(transport);
    }

    public <T> CompletableFuture<Void> publish(EventType<T> type, String key, T event, TraceContext trace) {
        Map<String, byte[]> h = new LinkedHashMap<>();
        h.put(EnvelopeCodec.KIND, KIND_EVENT.getBytes(StandardCharsets.UTF_8));
        h.put(EVENT, type.name().getBytes(StandardCharsets.UTF_8));
        h.put(EnvelopeCodec.VERSION, Integer.toString(type.version()).getBytes(StandardCharsets.UTF_8));
        if (trace != null) {
            h.put(EnvelopeCodec.TRACE_ID, trace.traceId().getBytes(StandardCharsets.UTF_8));
            h.put(EnvelopeCodec.COMM, trace.task().comm().getBytes(StandardCharsets.UTF_8));
            h.put(EnvelopeCodec.PID, Integer.toString(trace.task().pid()).getBytes(StandardCharsets.UTF_8));
        }
        return transport.send(Topics.EVENTS, key, new Frame(h, type.codec().encode(event)));
    }

    public <T> Events subscribe(EventType<T> type, BiConsumer<T, TraceContext> handler) {
        if (subscriptions.putIfAbsent(type.name(), new Subscription<>(type, handler)) != null) {
            throw new IllegalStateException(service + " already subscribes to " + type.name());
        }
        return this;
    }

    public boolean hasSubscriptions() {
        return !subscriptions.isEmpty();
    }

    /** One record of the events topic. */
    public void onEvent(Frame frame, String origin) {
        byte[] name = frame.header(EVENT);
        if (name == null) {
            deadLetter(frame, origin, "malformed event: header " + EVENT + " is missing");
            return;
        }
        Subscription<?> s = subscriptions.get(new String(name, StandardCharsets.UTF_8));
        if (s != null) {
            deliver(s, frame, origin);
        }
    }

    private <T> void deliver(Subscription<T> s, Frame frame, String origin) {
        byte[] v = frame.header(EnvelopeCodec.VERSION);
        String version = v == null ? "none" : new String(v, StandardCharsets.UTF_8);
        if (!Integer.toString(s.type().version()).equals(version)) {
            deadLetter(frame, origin, "unknown schema version: " + service + " reads version " + s.type().version()
                    + " of event '" + s.type().name() + "', not version " + version);
            return;
        }
        T event;
        try {
            event = s.type().codec().decode(frame.value());
        } catch (RuntimeException e) {
            deadLetter(frame, origin, "undecodable record: event '" + s.type().name() + "': " + e.getMessage());
            return;
        }
        s.handler().accept(event, EnvelopeCodec.traceOf(frame));
    }

    private void deadLetter(Frame frame, String origin, String reason) {
        DeadLetters.send(transport, service, frame, origin, reason);
    }
}
