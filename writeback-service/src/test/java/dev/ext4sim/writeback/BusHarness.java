package dev.ext4sim.writeback;

import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.call.EventType;
import dev.ext4sim.bus.call.Events;
import dev.ext4sim.bus.call.PeerLiveness;
import dev.ext4sim.bus.call.Topics;
import dev.ext4sim.bus.testing.InMemoryTransport;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.bus.writeback.WritebackCalls;
import dev.ext4sim.writeback.wb.Writeback;
import dev.ext4sim.writeback.wb.WritebackStats;
import dev.ext4sim.writeback.wb.Workqueue;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * writeback-service's bus adapters with the real core, over an InMemoryTransport on a manual clock, with a fake
 * ext4-service and a caller ("gateway"). By default the flusher runs inline: advancing the clock runs wb_workfn,
 * and its ext4_writepages calls, to the end before advance returns. {@link #restart} builds a new core and
 * adapters on the same transport, as a restarted process would.
 */
final class BusHarness implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    final ManualClock clock = new ManualClock();
    final RecordingTraceSink sink = new RecordingTraceSink();
    final InMemoryTransport transport = new InMemoryTransport();
    final FakeExt4Server ext4 = new FakeExt4Server(transport, clock);
    final CallClient caller = new CallClient(Topics.replies("gateway"), transport, clock, clock, PeerLiveness.UNKNOWN,
            Runnable::run);
    /** Publishes what other services publish (blockdev's announcement, ext4's notifications). */
    final Events others = new Events("ext4-service", transport);
    final List<Duration> pauses = new CopyOnWriteArrayList<>();
    private final Function<Task, Workqueue> workqueues;
    private final Executor handlers;
    Writeback writeback;
    WritebackEndpoints endpoints;
    DevNames names;
    BdiList bdis;

    BusHarness() {
        this(t -> Workqueue.INLINE, Runnable::run);
    }

    /** @param handlers where writeback's call handlers run (a blocking SYNC_INODES needs its own thread) */
    BusHarness(Function<Task, Workqueue> workqueues, Executor handlers) {
        this.workqueues = workqueues;
        this.handlers = handlers;
        transport.routeReplies("gateway", caller);
        restart();
    }

    /** A new writeback process: new core, names and adapters; what it knew is gone. */
    void restart() {
        if (writeback != null) {
            writeback.close();
        }
        names = new DevNames();
        bdis = new BdiList();
        CallClient client = new CallClient(Topics.replies(WritebackCalls.SERVICE), transport, clock, clock,
                PeerLiveness.UNKNOWN, Runnable::run);
        Tracer tracer = new Tracer(WritebackCalls.SERVICE, clock.traceClock(), sink, 8);
        BusExt4Port port = new BusExt4Port(client, names, TIMEOUT, TIMEOUT);
        writeback = new Writeback(Writeback.Config.defaults(), port, tracer, clock.traceClock(), clock, workqueues,
                WritebackStats.NONE);
        Events events = new Events(WritebackCalls.SERVICE, transport);
        endpoints = new WritebackEndpoints(writeback, names, bdis, events, pauses::add, List.of("sda1"),
                port::dirtyInodes);
        CallServer server = new CallServer(WritebackCalls.SERVICE, transport, clock, handlers);
        endpoints.register(server);
        endpoints.subscribe(events);
        transport.routeCalls(WritebackCalls.SERVICE, server);
        transport.routeReplies(WritebackCalls.SERVICE, client);
        transport.route(Topics.EVENTS, f -> events.onEvent(f, Topics.EVENTS));
    }

    <T> void publish(EventType<T> type, String key, T event, TraceContext ctx) {
        others.publish(type, key, event, ctx).join();
    }

    <Q, R> R call(dev.ext4sim.bus.call.CallType<Q, R> type, Q request, TraceContext ctx) {
        return caller.invoke(WritebackCalls.SERVICE, type, request, TIMEOUT, ctx);
    }

    /** The DIRTY_LIMITS events writeback published so far. */
    List<WritebackCalls.DirtyLimits> publishedLimits() {
        return transport.sent(Topics.EVENTS).stream()
                .filter(f -> WritebackCalls.DIRTY_LIMITS.name().equals(
                        new String(f.header(Events.EVENT), java.nio.charset.StandardCharsets.UTF_8)))
                .map(f -> WritebackCalls.DIRTY_LIMITS.codec().decode(f.value())).toList();
    }

    void advanceToSeconds(double s) {
        clock.advance(Duration.ofNanos((long) (s * 1e9)).minus(clock.elapsed()));
    }

    @Override
    public void close() {
        writeback.close();
    }
}
