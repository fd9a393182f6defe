package dev.ext4sim.bus.trace.diff;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One event line of /sys/kernel/tracing/trace (or trace_pipe, or {@code trace-cmd report}): the task, pid, cpu,
 * timestamp, event name and the TP_printk text. Both line layouts (4.x and 6.x), with or without the latency flags
 * and the tgid column.
 */
public record FtraceLine(String comm, int pid, int cpu, double timestamp, String event, String text) {
    // comm may hold spaces and dashes: the pid is the last "-digits" before the cpu column
    private static final Pattern LINE = Pattern.compile(
            "^\\s*(.+?)-(\\d+)\\s+(?:\\(\\s*[-\\d]+\\)\\s+)?\\[(\\d+)\\]\\s+(?:[.a-zA-Z0-9]{1,6}\\s+)?(\\d+\\.\\d+):\\s+"
                    + "([A-Za-z0-9_]+):\\s?(.*)$");

    /** The line as an event, or empty for a header, comment or anything else. */
    public static Optional<FtraceLine> parse(String line) {
        if (line.isBlank() || line.stripLeading().startsWith("#")) {
            return Optional.empty();
        }
        Matcher m = LINE.matcher(line);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new FtraceLine(m.group(1).strip(), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Double.parseDouble(m.group(4)), m.group(5), m.group(6).strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The event's subsystem as ftrace groups it: ext4, jbd2, writeback, block, ufshcd, ... */
    public String system() {
        int u = event.indexOf('_');
        return u < 0 ? event : event.substring(0, u);
    }

    /**
     * The text with every number, device and hex value replaced by {@code #}: the fields' names, order and symbolic
     * values, which two traces of the same program share, without the values that differ between runs.
     */
    public String shape() {
        return text.replaceAll("0x[0-9a-fA-F]+", "#").replaceAll("\\d+", "#");
    }
}
