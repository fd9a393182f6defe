package dev.ext4sim.writeback.wb;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * The vm.dirty_* entries of kernel/sysctl.c's vm_table with their proc handlers: proc_dointvec_minmax for the
 * ratios (0..100) and the centisecs, proc_doulongvec_minmax for the byte limits (dirty_bytes at least 2 pages,
 * dirty_background_bytes at least 1), and the handlers that keep each *_bytes/*_ratio pair exclusive (writing
 * one zeroes the other). A bad value gets EINVAL and changes nothing (4.x's proc_doulongvec_minmax skipped it
 * silently and accepted a negative dirty_writeback_centisecs; newer kernels refuse both, as here).
 */
public final class Sysctl {
    public static final String DIRTY_BACKGROUND_RATIO = "vm.dirty_background_ratio";
    public static final String DIRTY_BACKGROUND_BYTES = "vm.dirty_background_bytes";
    public static final String DIRTY_RATIO = "vm.dirty_ratio";
    public static final String DIRTY_BYTES = "vm.dirty_bytes";
    public static final String DIRTY_WRITEBACK_CENTISECS = "vm.dirty_writeback_centisecs";
    public static final String DIRTY_EXPIRE_CENTISECS = "vm.dirty_expire_centisecs";
    public static final String DIRTYTIME_EXPIRE_SECONDS = "vm.dirtytime_expire_seconds";

    public static final long PAGE_SIZE = 4096;
    private static final long INT_MAX = Integer.MAX_VALUE;

    /** Called after a write that changed a value, outside the registry's lock: (name, new value). */
    public interface Listener extends BiConsumer<String, Long> {
    }

    private record Entry(long min, long max) {
    }

    private static final Map<String, Entry> TABLE = new LinkedHashMap<>();

    static {
        TABLE.put(DIRTY_BACKGROUND_RATIO, new Entry(0, 100));
        TABLE.put(DIRTY_BACKGROUND_BYTES, new Entry(1, Long.MAX_VALUE));
        TABLE.put(DIRTY_RATIO, new Entry(0, 100));
        TABLE.put(DIRTY_BYTES, new Entry(2 * PAGE_SIZE, Long.MAX_VALUE));
        TABLE.put(DIRTY_WRITEBACK_CENTISECS, new Entry(0, INT_MAX));
        TABLE.put(DIRTY_EXPIRE_CENTISECS, new Entry(0, INT_MAX));
        TABLE.put(DIRTYTIME_EXPIRE_SECONDS, new Entry(0, INT_MAX));
    }

    private final Map<String, Long> values = new LinkedHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    /** The kernel's defaults: 10 % / 20 %, no byte limits, 5 s / 30 s, 12 h for lazytime. */
    public Sysctl() {
        values.put(DIRTY_BACKGROUND_RATIO, 10L);
        values.put(DIRTY_BACKGROUND_BYTES, 0L);
        values.put(DIRTY_RATIO, 20L);
        values.put(DIRTY_BYTES, 0L);
        values.put(DIRTY_WRITEBACK_CENTISECS, 500L);
        values.put(DIRTY_EXPIRE_CENTISECS, 3000L);
        values.put(DIRTYTIME_EXPIRE_SECONDS, 43200L);
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public List<String> names() {
        return List.copyOf(TABLE.keySet());
    }

    public synchronized Map<String, Long> all() {
        return Map.copyOf(values);
    }

    /** The value; ENOENT for a name that is not in the table. */
    public synchronized long get(String name) {
        entry(name);
        return values.get(name);
    }

    /** /proc/sys text: the number and a newline. */
    public String read(String name) {
        return get(name) + "\n";
    }

    /** A write to /proc/sys/vm/...: parsed as proc_dointvec does (surrounding whitespace allowed). */
    public void write(String name, String text) {
        Entry e = entry(name);
        long v = parse(name, text);
        set(name, e, v);
    }

    public void set(String name, long value) {
        set(name, entry(name), value);
    }

    private void set(String name, Entry e, long v) {
        if (v < e.min() || v > e.max()) {
            throw new ErrnoException(Errno.EINVAL, name + " must be between " + e.min() + " and "
                    + (e.max() == Long.MAX_VALUE ? "ULONG_MAX" : e.max()) + ", got " + v);
        }
        Map<String, Long> changed = new LinkedHashMap<>();
        synchronized (this) {
            long old = values.put(name, v);
            if (old != v) {
                changed.put(name, v);
            }
            // the exclusive pairs: dirty_ratio_handler / dirty_bytes_handler only when the value changed,
            // the background handlers on every successful write
            String other = switch (name) {
                case DIRTY_RATIO -> old != v ? DIRTY_BYTES : null;
                case DIRTY_BYTES -> old != v ? DIRTY_RATIO : null;
                case DIRTY_BACKGROUND_RATIO -> DIRTY_BACKGROUND_BYTES;
                case DIRTY_BACKGROUND_BYTES -> DIRTY_BACKGROUND_RATIO;
                default -> null;
            };
            if (other != null && values.put(other, 0L) != 0L) {
                changed.put(other, 0L);
            }
        }
        changed.forEach((n, value) -> listeners.forEach(l -> l.accept(n, value)));
    }

    private static Entry entry(String name) {
        Entry e = name == null ? null : TABLE.get(name);
        if (e == null) {
            throw new ErrnoException(Errno.ENOENT, "no sysctl " + name + "; known: " + TABLE.keySet());
        }
        return e;
    }

    private static long parse(String name, String text) {
        String t = text == null ? "" : text.strip();
        if (!t.matches("-?[0-9]{1,19}")) {
            throw new ErrnoException(Errno.EINVAL, name + " takes a decimal integer, got '" + text + "'");
        }
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException ex) {
            throw new ErrnoException(Errno.EINVAL, name + " out of range: " + t);
        }
    }
}
