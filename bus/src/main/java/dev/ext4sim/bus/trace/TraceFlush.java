package dev.ext4sim.bus.trace;

import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The trace_flush call: a reader of /sys/kernel/tracing/trace sees every event recorded before it read, but here a
 * service's events wait in its trace producer for up to the producer's linger. A service that answers trace_flush
 * has put every event it emitted before the call on the trace topic, so a reader that then catches up with the
 * topic shows the events of every call that returned before it asked.
 */
public final class TraceFlush {
    public static final CallType<Request, Reply> CALL = CallType.json("trace_flush", 1, Request.class, Reply.class);

    /** @param reason what the flush is for, for the reader of a dead-letter or a log */
    public record Request(String reason) {
    }

    /** @param dropped the events this service could not publish since it started (a full or absent broker) */
    public record Reply(String service, long dropped) {
    }

    private TraceFlush() {
    }

    /**
     * Asks every one of {@code services} to flush, all at once, and waits at most {@code timeout} for them.
     * @return the services that did not answer in time (a dead one, or one still starting): their latest events
     *     may be missing
     */
    public static List<String> flushAll(CallClient client, List<String> services, Duration timeout, TraceContext trace) {
        Map<String, CompletableFuture<Reply>> asked = new LinkedHashMap<>();
        for (String service : services) {
            asked.put(service, client.call(service, CALL, new Request("trace read"), timeout, trace));
        }
        List<String> silent = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (var entry : asked.entrySet()) {
            try {
                entry.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                silent.add(entry.getKey());
            } catch (Exception e) {
                silent.add(entry.getKey());
            }
        }
        return silent;
    }
}
