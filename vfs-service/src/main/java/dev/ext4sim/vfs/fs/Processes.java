package dev.ext4sim.vfs.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.Task;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The processes this VFS has seen, by pid, each with its files_struct. The tables live in this process's memory
 * only: after vfs-service restarts every old fd is gone, and the EBADF says so.
 */
public final class Processes {
    private final ConcurrentHashMap<Integer, FdTable> tables = new ConcurrentHashMap<>();
    private final Instant started;
    private final int nofile;

    public Processes(Instant started, int nofile) {
        this.started = started;
        this.nofile = nofile;
    }

    /** The process's table, made on its first open. */
    public FdTable files(Task task) {
        return tables.computeIfAbsent(task.pid(), pid -> new FdTable(task, nofile));
    }

    /** The table of a process that must already have opened something. */
    public FdTable existing(Task task, int fd) {
        FdTable t = tables.get(task.pid());
        if (t == null) {
            throw new ErrnoException(Errno.EBADF, "fd " + fd + " is not open: process " + task + " has opened nothing since"
                    + " vfs-service started at " + started + "; fd tables do not survive a restart of vfs-service,"
                    + " so open the file again (and send the same X-Pid on every call of one process)");
        }
        return t;
    }

    public int count() {
        return tables.size();
    }
}
