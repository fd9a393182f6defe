package dev.ext4sim.bus.ping;

import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallContext;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** One service's part of the ping: call the next hop, if any, then add this hop and its tracepoint. */
public final class PingService {
    private final String service;
    private final Optional<String> next;
    private final CallClient client;
    private final Tracer tracer;
    private final Time time;
    private final long pid = ProcessHandle.current().pid();

    public PingService(String service, Optional<String> next, CallClient client, Tracer tracer, Time time) {
        this.service = Objects.requireNonNull(service);
        this.next = Objects.requireNonNull(next);
        this.client = Objects.requireNonNull(client);
        this.tracer = Objects.requireNonNull(tracer);
        this.time = Objects.requireNonNull(time);
    }

    public Ping.Reply handle(Ping.Request request, CallContext context) {
        return ping(request.hop(), context.trace(), context.downstreamTimeout());
    }

    /** Pings from this hop on; the returned first hop has its latency set to the time spent here. */
    public Ping.Reply ping(int hop, TraceContext trace, Duration timeout) {
        long start = time.nanoTime();
        List<Ping.Hop> hops = new ArrayList<>();
        hops.add(null);
        if (next.isPresent()) {
            long sent = time.nanoTime();
            List<Ping.Hop> downstream = client.invoke(next.get(), Ping.CALL, new Ping.Request(hop + 1), timeout, trace).hops();
            long rtt = micros(time.nanoTime() - sent);
            if (!downstream.isEmpty()) {
                hops.add(downstream.getFirst().withLatency(rtt));
                hops.addAll(downstream.subList(1, downstream.size()));
            }
        }
        long handled = micros(time.nanoTime() - start);
        tracer.emit(Ping.EXT4SIM_PING, trace, service, hop, handled);
        hops.set(0, new Ping.Hop(hop, service, pid, handled, handled));
        return new Ping.Reply(hops);
    }

    private static long micros(long nanos) {
        return nanos / 1_000;
    }
}
