package dev.ext4sim.bus.testing;

import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.call.Frame;
import dev.ext4sim.bus.call.Topics;
import dev.ext4sim.bus.call.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A {@link Transport} for unit tests: records every frame it accepts, per topic and in send order (thread-safe),
 * and delivers it synchronously, on the sending thread, to the consumer routed to its topic, if any. Sends can be
 * made to fail (a failed future, as a producer whose broker is down returns), for every topic or for one.
 *
 * <p>Wiring a client and a server through it:
 * <pre>{@code
 * transport.routeCalls("vfs", vfsServer);         // ext4sim.vfs.calls     -> vfsServer.onRequest
 * transport.routeReplies("gateway", gwClient);    // ext4sim.gateway.replies -> gwClient.onReply
 * }</pre>
 */
public final class InMemoryTransport implements Transport {

    /** One accepted send. */
    public record Sent(String topic, String key, Frame frame) {
    }

    private final List<Sent> sent = new ArrayList<>();
    private final Map<String, Consumer<Frame>> routes = new ConcurrentHashMap<>();
    private final Map<String, Throwable> failingTopics = new ConcurrentHashMap<>();
    private volatile Function<String, Throwable> failAll;
    private volatile int failedSends;

    @Override
    public CompletableFuture<Void> send(String topic, String key, Frame frame) {
        Objects.requireNonNull(topic);
        Objects.requireNonNull(frame);
        Throwable failure = failureFor(topic);
        if (failure != null) {
            synchronized (this) {
                failedSends++;
            }
            return CompletableFuture.failedFuture(failure);
        }
        synchronized (this) {
            sent.add(new Sent(topic, key, frame));
        }
        Consumer<Frame> route = routes.get(topic);
        if (route != null) {
            route.accept(frame); // outside the lock: delivery may send again (a server's reply)
        }
        return CompletableFuture.completedFuture(null);
    }

    private Throwable failureFor(String topic) {
        Throwable t = failingTopics.get(topic);
        if (t != null) {
            return t;
        }
        Function<String, Throwable> all = failAll;
        return all == null ? null : all.apply(topic);
    }

    /** Delivers every later frame sent to {@code topic} to {@code consumer}, on the sending thread. */
    public InMemoryTransport route(String topic, Consumer<Frame> consumer) {
        routes.put(topic, Objects.requireNonNull(consumer));
        return this;
    }

    /** Delivers the service's call topic to its server, as its call poll loop would. */
    public InMemoryTransport routeCalls(String service, CallServer server) {
        String topic = Topics.calls(service);
        return route(topic, frame -> server.onRequest(frame, topic));
    }

    /** Delivers the service's reply topic to its client, as its reply poll loop would. */
    public InMemoryTransport routeReplies(String service, CallClient client) {
        return route(Topics.replies(service), client::onReply);
    }

    public InMemoryTransport unroute(String topic) {
        routes.remove(topic);
        return this;
    }

    /** Every later send fails with {@code error}, as when the broker is unreachable. */
    public InMemoryTransport failSends(Throwable error) {
        Objects.requireNonNull(error);
        this.failAll = topic -> error;
        return this;
    }

    /** Later sends to {@code topic} fail with {@code error}; other topics still work. */
    public InMemoryTransport failSendsTo(String topic, Throwable error) {
        failingTopics.put(topic, Objects.requireNonNull(error));
        return this;
    }

    /** Sends succeed again. */
    public InMemoryTransport healSends() {
        failAll = null;
        failingTopics.clear();
        return this;
    }

    /** Every accepted send so far, in order. */
    public synchronized List<Sent> sent() {
        return List.copyOf(sent);
    }

    /** The frames accepted for one topic so far, in order. */
    public synchronized List<Frame> sent(String topic) {
        return sent.stream().filter(s -> s.topic().equals(topic)).map(Sent::frame).toList();
    }

    /** The last frame accepted for a topic. */
    public synchronized Frame last(String topic) {
        List<Frame> frames = sent(topic);
        if (frames.isEmpty()) {
            throw new AssertionError("nothing was sent to " + topic + "; sent: " + topics());
        }
        return frames.getLast();
    }

    /** Topics that received at least one frame, in first-send order. */
    public synchronized List<String> topics() {
        return sent.stream().map(Sent::topic).distinct().toList();
    }

    public synchronized int failedSends() {
        return failedSends;
    }

    /** Forgets what was sent; routes and failures stay. */
    public synchronized void clear() {
        sent.clear();
        failedSends = 0;
    }
}
