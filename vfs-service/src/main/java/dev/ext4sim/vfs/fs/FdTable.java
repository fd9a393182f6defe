package dev.ext4sim.vfs.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.Task;
import java.util.TreeMap;

/**
 * files_struct of one process: fd numbers to open files. 0, 1 and 2 belong to the process's stdio, so the first
 * open returns 3; a new fd is the lowest free one (__alloc_fd), up to RLIMIT_NOFILE.
 */
public final class FdTable {
    /** The soft RLIMIT_NOFILE of a login shell. */
    public static final int NR_OPEN_DEFAULT = 1024;
    static final int FIRST_FD = 3;

    private final Task task;
    private final int limit;
    private final TreeMap<Integer, VfsFile> fds = new TreeMap<>();

    public FdTable(Task task, int limit) {
        this.task = task;
        this.limit = limit;
    }

    public synchronized int install(VfsFile file) {
        int fd = FIRST_FD;
        for (int used : fds.keySet()) {
            if (used != fd) {
                break;
            }
            fd++;
        }
        if (fd >= limit) {
            throw new ErrnoException(Errno.EMFILE, task + " has " + fds.size() + " files open, the limit (RLIMIT_NOFILE "
                    + limit + "); close some first");
        }
        fds.put(fd, file);
        return fd;
    }

    public synchronized VfsFile get(int fd) {
        VfsFile f = fds.get(fd);
        if (f == null) {
            throw notOpen(fd);
        }
        return f;
    }

    public synchronized VfsFile remove(int fd) {
        VfsFile f = fds.remove(fd);
        if (f == null) {
            throw notOpen(fd);
        }
        return f;
    }

    public synchronized int size() {
        return fds.size();
    }

    private ErrnoException notOpen(int fd) {
        return new ErrnoException(Errno.EBADF, "fd " + fd + " is not open in process " + task);
    }
}
