package dev.ext4sim.bus.ping;

import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.trace.Tracepoint;
import java.util.List;

/**
 * The ping call: it crosses the chain gateway → vfs → ext4 → jbd2 → blockdev, and every service on the way adds
 * its hop and emits one tracepoint. The event is the simulation's own (system "ext4sim"), not a kernel one.
 */
public final class Ping {
    public static final CallType<Request, Reply> CALL = CallType.json("ping", 1, Request.class, Reply.class);

    public static final Tracepoint EXT4SIM_PING = Tracepoint.define("ext4sim", "ext4sim_ping",
            "service %s hop %d handled_us %llu", "service", "hop", "handled_us");

    /** @param hop how many services the ping crossed before this one (the gateway is hop 0) */
    public record Request(int hop) {
    }

    public record Reply(List<Hop> hops) {
        public Reply {
            hops = List.copyOf(hops);
        }
    }

    /**
     * @param latencyUs round trip of the call to this hop as its caller measured it, bus included
     * @param handledUs time spent inside this service, the calls it made included
     */
    public record Hop(int hop, String service, long pid, long latencyUs, long handledUs) {
        Hop withLatency(long micros) {
            return new Hop(hop, service, pid, micros, handledUs);
        }
    }

    private Ping() {
    }
}
