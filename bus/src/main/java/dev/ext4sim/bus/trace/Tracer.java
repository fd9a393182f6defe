package dev.ext4sim.bus.trace;

import java.util.Objects;

/**
 * Emits tracepoints for one service: stamps each hit with the trace clock and a cpu, and hands it to the sink.
 * A task stays on one cpu, so a writer's events read as one CPU column as they mostly do in a real trace.
 */
public final class Tracer {
    private final String service;
    private final TraceClock clock;
    private final TraceSink sink;
    private final int cpus;
    private final KernelProfile profile;

    public Tracer(String service, TraceClock clock, TraceSink sink, int cpus) {
        this(service, clock, sink, cpus, KernelProfile.V4X);
    }

    public Tracer(String service, TraceClock clock, TraceSink sink, int cpus, KernelProfile profile) {
        this.profile = Objects.requireNonNull(profile);
        this.service = Objects.requireNonNull(service);
        this.clock = Objects.requireNonNull(clock);
        this.sink = Objects.requireNonNull(sink);
        if (cpus < 1) {
            throw new IllegalArgumentException("cpus must be at least 1");
        }
        this.cpus = cpus;
    }

    public TraceEvent emit(Tracepoint tp, TraceContext ctx, Object... values) {
        return emitAt(clock.nanosSinceBoot(), tp, ctx, values);
    }

    /**
     * Emits an event that happened at {@code timestampNanos} of the shared trace clock, which every process reads
     * alike: a hit another service observed first (a handle ext4 started and streamed later) keeps its place in
     * the task's timeline.
     */
    public TraceEvent emitAt(long timestampNanos, Tracepoint tp, TraceContext ctx, Object... values) {
        Task task = ctx.task();
        TraceEvent event = new TraceEvent(timestampNanos, task.comm(), task.pid(), cpuOf(task),
                tp.system(), tp.name(), tp.fieldMap(values), tp.format(values), ctx.traceId(), service);
        sink.publish(event);
        return event;
    }

    /** The kernel whose events this tracer's callers emit: where 4.x and 6.x differ, they ask. */
    public KernelProfile profile() {
        return profile;
    }

    /** The shared trace clock's now, for stamping a hit that is emitted later with {@link #emitAt}. */
    public long now() {
        return clock.nanosSinceBoot();
    }

    /** The cpu {@code task} runs on: its events' CPU column, and smp_processor_id() for the code it runs. */
    public int cpuOf(Task task) {
        return Math.floorMod(task.comm().hashCode() * 31 + task.pid(), cpus);
    }
}
