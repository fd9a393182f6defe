package dev.ext4sim.blockdev.block;

import dev.ext4sim.bus.trace.Task;

/**
 * An I/O priority (include/uapi/linux/ioprio.h): class, hint and level, packed as IOPRIO_PRIO_VALUE_HINT does. 6.13+
 * block events print it as {@code class,hint,level}.
 */
public record IoPrio(int ioClass, int hint, int level) {
    static final int IOPRIO_CLASS_NONE = 0;
    static final int IOPRIO_CLASS_BE = 2;

    /** A request nobody gave a priority: the flush machinery's own. */
    public static final IoPrio NONE = new IoPrio(IOPRIO_CLASS_NONE, 0, 0);
    /** IOPRIO_DEFAULT resolved for a task of nice 0 (task_nice_ioclass, task_nice_ioprio): best effort, level 4. */
    public static final IoPrio BE_NORM = new IoPrio(IOPRIO_CLASS_BE, 0, 4);
    /** ext4's DEFAULT_JOURNAL_IOPRIO, which ext4 sets on its journal thread (the journal_ioprio mount option). */
    public static final IoPrio JOURNAL = new IoPrio(IOPRIO_CLASS_BE, 0, 3);

    /**
     * get_current_ioprio() of the submitter, which bio_set_ioprio gives a bio without one: the journal thread's is
     * the one ext4 set; every other task of the write path runs at nice 0 without an ioprio of its own.
     */
    public static IoPrio of(Task task) {
        return task.comm().startsWith("jbd2/") ? JOURNAL : BE_NORM;
    }

    /** The u16 the request and the tracepoint field hold. */
    public int value() {
        return ioClass << 13 | hint << 3 | level;
    }

    /** __print_symbolic(IOPRIO_PRIO_CLASS(ioprio), IOPRIO_CLASS_STRINGS), IOPRIO_PRIO_HINT, IOPRIO_PRIO_LEVEL. */
    static Object[] printk(Object value) {
        int v = ((Number) value).intValue();
        String ioClass = switch (v >> 13 & 0x7) {
            case 0 -> "none";
            case 1 -> "rt";
            case 2 -> "be";
            case 3 -> "idle";
            case 7 -> "invalid";
            default -> "0x" + Integer.toHexString(v >> 13 & 0x7); // __print_symbolic of a value not in the table
        };
        return new Object[]{ioClass, v >> 3 & 0x3ff, v & 0x7};
    }
}
