package dev.ext4sim.blockdev;

import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracepoint;
import dev.ext4sim.bus.trace.Tracer;
import java.util.Objects;

/**
 * The tracepoints of blockdev-service, which can be switched off as tracefs can: the block-level benchmark runs
 * with them off, since formatting eight lines per I/O at 100,000 IOPS would measure the tracer, not the device.
 */
public final class Trace {
    /** The idle task, which hardware interrupts (command completions) interrupt; ftrace prints it as {@code <idle>-0}. */
    public static final Task IRQ = new Task("swapper/0", 0);

    private final Tracer tracer;
    private volatile boolean enabled;

    public Trace(Tracer tracer, boolean enabled) {
        this.tracer = Objects.requireNonNull(tracer);
        this.enabled = enabled;
    }

    public boolean enabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** The kernel whose block events this service emits: where 4.x and 6.x differ, the block layer asks. */
    public KernelProfile profile() {
        return tracer.profile();
    }

    /** The cpu {@code task}'s events print in the CPU column. */
    public int cpuOf(Task task) {
        return tracer.cpuOf(task);
    }

    public void emit(Tracepoint tp, TraceContext ctx, Object... values) {
        if (enabled) {
            tracer.emit(tp, ctx, values);
        }
    }

    /** The same trace id, another task: e.g. a completion in interrupt context of an I/O the writer submitted. */
    public static TraceContext as(TraceContext ctx, Task task) {
        return new TraceContext(ctx.traceId(), task);
    }
}
