package dev.ext4sim.bus.trace;

/**
 * A kernel task as ftrace names it: comm (at most 15 characters, TASK_COMM_LEN - 1) and pid.
 * The writer task is the REST caller's X-Comm and X-Pid; kernel threads keep their kernel names.
 */
public record Task(String comm, int pid) {
    public static final int TASK_COMM_LEN = 16;

    public Task {
        if (comm == null || comm.isEmpty()) {
            comm = "<...>";
        }
        if (comm.length() > TASK_COMM_LEN - 1) {
            comm = comm.substring(0, TASK_COMM_LEN - 1);
        }
        if (pid < 0) {
            throw new IllegalArgumentException("pid must not be negative: " + pid);
        }
    }

    @Override
    public String toString() {
        return comm + "-" + pid;
    }
}
