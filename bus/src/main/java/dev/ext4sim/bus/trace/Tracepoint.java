package dev.ext4sim.bus.trace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tracepoint definition: TRACE_EVENT's name, its fields in TP_STRUCT order, and its TP_printk format in C
 * printf syntax (copied from the kernel, as in reference/tracepoints.md). Each argument of the format is a field
 * value, in the order the format uses them.
 */
public record Tracepoint(String system, String name, String printk, List<String> fields, Printk args) {
    /**
     * The formatter hook: turns the field values (field order) into the TP_printk arguments, for formats that derive
     * values as the kernel's do ({@code MAJOR(dev), MINOR(dev)}, {@code __print_flags}, {@code __print_symbolic}).
     */
    @FunctionalInterface
    public interface Printk {
        Printk FIELDS = values -> values;

        Object[] args(Object[] fieldValues);
    }

    private static final Pattern C_CONVERSION = Pattern.compile("%([-#0 +]*\\d*(?:\\.\\d+)?)(hh|h|ll|l|z|j|t)?([diuxXsco%]|p[A-Za-z0-9]*)");

    public Tracepoint {
        fields = List.copyOf(fields);
        args = args == null ? Printk.FIELDS : args;
        javaFormat(printk); // fail at definition, not at the first hit
    }

    public Tracepoint(String system, String name, String printk, List<String> fields) {
        this(system, name, printk, fields, Printk.FIELDS);
    }

    public static Tracepoint define(String system, String name, String printk, String... fields) {
        return new Tracepoint(system, name, printk, List.of(fields));
    }

    /** The same tracepoint with a formatter hook: the format's arguments are computed from the field values. */
    public Tracepoint printk(Printk hook) {
        return new Tracepoint(system, name, printk, fields, hook);
    }

    /** The TP_printk text for these field values (one per field, in field order). */
    public String format(Object... values) {
        if (values.length != fields.size()) {
            throw new IllegalArgumentException(name + " takes " + fields.size() + " fields " + fields + ", got " + values.length);
        }
        return String.format(Locale.ROOT, javaFormat(printk), args.args(values));
    }

    public Map<String, Object> fieldMap(Object... values) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < fields.size(); i++) {
            map.put(fields.get(i), values[i]);
        }
        return map;
    }

    /** Converted once per format: a hot tracepoint is hit for every page written. */
    private static final Map<String, String> JAVA_FORMATS = new ConcurrentHashMap<>();

    /** C's %lu, %llu, %u, %zu and friends to Java's %d; %lx to %x; %pS and other %p extensions to %s; widths and flags kept. */
    static String javaFormat(String c) {
        return JAVA_FORMATS.computeIfAbsent(c, Tracepoint::convert);
    }

    private static String convert(String c) {
        Matcher m = C_CONVERSION.matcher(c);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            // %p takes the letters after it as its extension, as the kernel's vsprintf does (%pS, %pg): one string
            String conv = m.group(3).startsWith("p") ? "s" : switch (m.group(3)) {
                case "i", "u" -> "d";
                default -> m.group(3);
            };
            m.appendReplacement(out, Matcher.quoteReplacement("%" + m.group(1) + conv));
        }
        m.appendTail(out);
        return out.toString();
    }
}
