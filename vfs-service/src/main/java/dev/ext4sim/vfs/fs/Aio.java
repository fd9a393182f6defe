package dev.ext4sim.vfs.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.ext4.AioCalls;
import dev.ext4sim.bus.ext4.Ext4Calls.WriteResult;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.vfs.VfsAioCalls.Event;
import dev.ext4sim.vfs.fs.OpenFlags.Flag;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * io_submit and io_getevents (fs/aio.c) over one io context per process: a pwrite iocb goes to the filesystem as
 * aio_write, which either finishes it at once (aio_rw_done completes it in io_submit) or answers -EIOCBQUEUED and
 * completes it later through {@link #complete}. The contexts live in this process's memory only, as fd tables do.
 */
public final class Aio {
    private final InodeOps ops;
    private final Processes processes;
    private final Duration maxWait;
    private final ConcurrentHashMap<Integer, AioContext> contexts = new ConcurrentHashMap<>();

    /** @param maxWait the longest io_getevents may wait: less than its caller's deadline */
    public Aio(InodeOps ops, Processes processes, Duration maxWait) {
        this.ops = Objects.requireNonNull(ops);
        this.processes = Objects.requireNonNull(processes);
        this.maxWait = Objects.requireNonNull(maxWait);
    }

    /**
     * io_submit of one IOCB_CMD_PWRITE at {@code offset}: the checks of aio_prep_rw and aio_write (fd, FMODE_WRITE,
     * offset), a slot of the io context, then the write. Returns the iocb's id; its result comes as an io_event.
     */
    public long submit(int fd, long offset, byte[] data, TraceContext ctx) {
        VfsFile file = processes.existing(ctx.task(), fd).get(fd);
        if (!file.flags().access().canWrite()) {
            throw new ErrnoException(Errno.EBADF, "fd " + fd + " (" + file.path() + ") is open " + file.flags().access()
                    + "; io_submit's pwrite needs an fd opened O_WRONLY or O_RDWR");
        }
        if (offset < 0 || offset + data.length < 0) {
            throw new ErrnoException(Errno.EINVAL, "offset " + offset + " is negative or overflows with " + data.length
                    + " bytes");
        }
        AioContext ioctx = contexts.computeIfAbsent(ctx.task().pid(), pid -> new AioContext(AioContext.NR_EVENTS));
        long id = ioctx.reserve(fd);
        WriteResult r;
        try {
            r = ops.aioWrite(file.ino(), file.mount(), offset, file.flags().has(Flag.O_APPEND),
                    file.flags().has(Flag.O_SYNC), file.flags().has(Flag.O_DSYNC), file.flags().has(Flag.O_DIRECT),
                    id, data, ctx);
        } catch (RuntimeException e) {
            ioctx.cancel(id);
            throw e;
        }
        if (r.written() != AioCalls.EIOCBQUEUED) {
            ioctx.complete(id, r.written());
        }
        return id;
    }

    /**
     * io_getevents: between {@code minNr} and {@code nr} events of the caller's io context, waiting at most
     * {@code timeout} for {@code minNr}. EINVAL for counts out of order, a negative or too long timeout, or a
     * process that has no io context.
     */
    public List<Event> getEvents(int minNr, int nr, Duration timeout, TraceContext ctx) {
        if (minNr < 0 || nr < 0 || minNr > nr) {
            throw new ErrnoException(Errno.EINVAL, "min_nr " + minNr + " and nr " + nr + " must satisfy 0 <= min_nr <= nr");
        }
        if (timeout.isNegative() || timeout.compareTo(maxWait) > 0) {
            throw new ErrnoException(Errno.EINVAL, "timeout " + timeout.toMillis() + " ms is not from 0 to "
                    + maxWait.toMillis() + " ms");
        }
        AioContext ioctx = contexts.get(ctx.task().pid());
        if (ioctx == null) {
            throw new ErrnoException(Errno.EINVAL, "process " + ctx.task() + " has no io context: it has submitted"
                    + " nothing since vfs-service started (io contexts do not survive a restart of vfs-service)");
        }
        try {
            return ioctx.getEvents(minNr, nr, timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ErrnoException(Errno.EIO, "io_getevents of " + ctx.task() + " was interrupted: vfs-service is"
                    + " stopping");
        }
    }

    /** aio_complete of a queued iocb of process {@code pid}, from the filesystem. */
    public void complete(int pid, long id, long res) {
        AioContext ioctx = contexts.get(pid);
        if (ioctx != null) {
            ioctx.complete(id, res);
        }
    }
}
