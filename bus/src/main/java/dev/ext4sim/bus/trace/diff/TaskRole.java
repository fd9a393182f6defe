package dev.ext4sim.bus.trace.diff;

/**
 * The tasks a trace of the write path is compared by: the programs that write (whatever their comm: the tasks that enter ext4's write or fsync), the flusher's
 * kworkers, the journal thread, and the rest (interrupts, kblockd, idle), which is counted but not judged.
 */
public enum TaskRole {
    WRITER("writer"), KWORKER("kworker"), JBD2("jbd2"), OTHER("other");

    private final String label;

    TaskRole(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** The role of a task named {@code comm}; {@code writers} are the comms of the programs that write. */
    public static TaskRole of(String comm, java.util.Set<String> writers) {
        if (comm.startsWith("jbd2/")) {
            return JBD2;
        }
        if (comm.startsWith("kworker/")) {
            return KWORKER;
        }
        return writers.contains(comm) ? WRITER : OTHER;
    }
}
