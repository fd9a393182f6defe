package dev.ext4sim.bus.trace;

/**
 * The two line layouts of /sys/kernel/tracing/trace (reference/tracepoints.md §2). The simulation follows the 4.x
 * seeds by default: 5-wide pid, 4 latency-flag characters, preempt depth 1 inside a tracepoint.
 */
public enum FtraceLayout {
    /** Kernels up to 5.11: "%16s-%-5d [%03d] ...1 %5lu.%06lu: ". */
    KERNEL_4X(5, "...1"),
    /** 5.14 and later: "%16s-%-7d [%03d] ..... %5lu.%06lu: ". */
    KERNEL_6X(7, ".....");

    final int pidWidth;
    final String latencyFlags;

    FtraceLayout(int pidWidth, String latencyFlags) {
        this.pidWidth = pidWidth;
        this.latencyFlags = latencyFlags;
    }
}
