package dev.ext4sim.bus.trace;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** Tracepoint events as the text of /sys/kernel/tracing/trace: the header, then one line per event. */
public final class FtraceRenderer {
    private static final String HEADER_4X = """
            #                              _-----=> irqs-off
            #                             / _----=> need-resched
            #                            | / _---=> hardirq/softirq
            #                            || / _--=> preempt-depth
            #                            ||| /     delay
            #           TASK-PID   CPU#  ||||    TIMESTAMP  FUNCTION
            #              | |       |   ||||       |         |
            """;
    private static final String HEADER_6X = """
            #                                _-----=> irqs-off/BH-disabled
            #                               / _----=> need-resched
            #                              | / _---=> hardirq/softirq
            #                              || / _--=> preempt-depth
            #                              ||| / _-=> migrate-disable
            #                              |||| /     delay
            #           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
            #              | |         |   |||||     |         |
            """;

    private final FtraceLayout layout;

    public FtraceRenderer(FtraceLayout layout) {
        this.layout = layout;
    }

    /** The whole trace file: header with counts, then the events in timestamp order. */
    public String render(Collection<TraceEvent> events, long written, int cpus) {
        List<TraceEvent> sorted = events.stream().sorted(Comparator.comparingLong(TraceEvent::timestampNanos)).toList();
        StringBuilder out = new StringBuilder(128 * (sorted.size() + 12));
        out.append(header(sorted.size(), written, cpus));
        for (TraceEvent e : sorted) {
            out.append(line(e)).append('\n');
        }
        return out.toString();
    }

    public String header(long entries, long written, int cpus) {
        return "# tracer: nop\n#\n# entries-in-buffer/entries-written: " + entries + "/" + written + "   #P:" + cpus
                + "\n#\n" + (layout == FtraceLayout.KERNEL_4X ? HEADER_4X : HEADER_6X);
    }

    /** One event, without the newline: task-pid, cpu, latency flags, timestamp, event name and TP_printk text. */
    public String line(TraceEvent e) {
        String comm = e.pid() == 0 ? "<idle>" : e.comm();
        long ts = Math.max(0, e.timestampNanos());
        long sec = ts / 1_000_000_000L;
        long usec = (ts % 1_000_000_000L) / 1_000L;
        return String.format("%16s-%-" + layout.pidWidth + "d [%03d] %s %5d.%06d: %s: %s",
                comm, e.pid(), e.cpu(), layout.latencyFlags, sec, usec, e.event(), e.text());
    }
}
