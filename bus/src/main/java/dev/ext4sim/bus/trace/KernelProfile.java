package dev.ext4sim.bus.trace;

import java.util.Locale;

/**
 * Which kernel's tracepoints the stack emits ({@code ext4sim.kernel}): the seeds' 4.x call graph (the default), or a
 * 6.x one, whose event names, formats and orders are those of reference/tracepoints.md §10 and of the kernel the
 * capture script traces. Every service of a stack runs the same profile.
 */
public enum KernelProfile {
    V4X("4.x", FtraceLayout.KERNEL_4X),
    V6X("6.x", FtraceLayout.KERNEL_6X);

    private final String label;
    private final FtraceLayout layout;

    KernelProfile(String label, FtraceLayout layout) {
        this.label = label;
        this.layout = layout;
    }

    /** "4.x" or "6.x" (also "4", "6"); anything else names the two that exist. */
    public static KernelProfile parse(String value) {
        return switch (value == null ? "" : value.trim().toLowerCase(Locale.ROOT)) {
            case "4.x", "4" -> V4X;
            case "6.x", "6" -> V6X;
            default -> throw new IllegalArgumentException("ext4sim.kernel must be 4.x or 6.x, not '" + value + "'");
        };
    }

    public boolean v6() {
        return this == V6X;
    }

    /** The line layout of that kernel's /sys/kernel/tracing/trace. */
    public FtraceLayout layout() {
        return layout;
    }

    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
