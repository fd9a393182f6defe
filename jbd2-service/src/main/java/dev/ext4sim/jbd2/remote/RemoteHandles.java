package dev.ext4sim.jbd2.remote;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.jbd2.journal.Handle;
import dev.ext4sim.jbd2.journal.Journal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handles opened by START and closed by STOP in separate calls. A caller that dies between the two would keep its
 * transaction from ever leaving T_LOCKED, so every open handle holds a lease, renewed by each call on it; when a
 * lease runs out the handle is stopped as the kernel stops a task's handle when the task exits, with a warning
 * that names the task.
 */
final class RemoteHandles {
    private static final Logger log = LoggerFactory.getLogger(RemoteHandles.class);

    private final Journal journal;
    private final Time time;
    private final Scheduler scheduler;
    private final Duration lease;
    private final Consumer<Handle> onExpiry;
    private final Map<Long, Remote> open = new ConcurrentHashMap<>();

    private final class Remote {
        final Handle handle;
        final ReentrantLock lock = new ReentrantLock();
        long lastUseNanos;
        boolean closed;
        Scheduler.Cancellable timer;

        Remote(Handle handle) {
            this.handle = handle;
        }
    }

    RemoteHandles(Journal journal, Time time, Scheduler scheduler, Duration lease, Consumer<Handle> onExpiry) {
        this.journal = Objects.requireNonNull(journal);
        this.time = Objects.requireNonNull(time);
        this.scheduler = Objects.requireNonNull(scheduler);
        if (lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException("a handle lease must be positive, got " + lease);
        }
        this.lease = lease;
        this.onExpiry = Objects.requireNonNull(onExpiry);
    }

    /** jbd2__journal_start for a remote caller: the handle stays open, under a lease, until {@link #stop}. */
    Handle start(TraceContext owner, int credits, int type, int lineNo) {
        Handle h = journal.jbd2_journal_start(owner, credits, type, lineNo);
        Remote r = new Remote(h);
        r.lock.lock();
        try {
            r.lastUseNanos = time.nanoTime();
            open.put(h.id(), r);
            r.timer = scheduler.schedule(lease, () -> check(r));
        } finally {
            r.lock.unlock();
        }
        return h;
    }

    /** Runs {@code op} on open handle {@code id}, renewing its lease. */
    <T> T use(long id, Function<Handle, T> op) {
        Remote r = find(id);
        r.lock.lock();
        try {
            if (r.closed) {
                throw notOpen(id);
            }
            try {
                return op.apply(r.handle);
            } finally {
                r.lastUseNanos = time.nanoTime();
            }
        } finally {
            r.lock.unlock();
        }
    }

    /** jbd2_journal_stop; with {@code sync} it waits for the commit. Returns the handle's tid. */
    int stop(long id, boolean sync) {
        Remote r = find(id);
        r.lock.lock();
        try {
            if (r.closed) {
                throw notOpen(id);
            }
            close(r);
        } finally {
            r.lock.unlock();
        }
        r.handle.setSync(sync || r.handle.isSync());
        return journal.jbd2_journal_stop(r.handle); // outside the lock: a sync stop waits for the commit
    }

    int openHandles() {
        return open.size();
    }

    /** Forgets every handle (the journal is being unloaded): their transactions will never commit anyway. */
    void dropAll() {
        for (Remote r : List.copyOf(open.values())) {
            r.lock.lock();
            try {
                close(r);
            } finally {
                r.lock.unlock();
            }
        }
    }

    /** The lease timer: stop the handle if it was idle a whole lease, else look again when it could be. */
    private void check(Remote r) {
        if (!r.lock.tryLock()) {
            // a call is running on the handle right now: that call renews the lease
            r.timer = scheduler.schedule(lease, () -> check(r));
            return;
        }
        try {
            if (r.closed) {
                return;
            }
            long idle = time.nanoTime() - r.lastUseNanos;
            if (idle < lease.toNanos()) {
                r.timer = scheduler.schedule(Duration.ofNanos(lease.toNanos() - idle), () -> check(r));
                return;
            }
            close(r);
        } finally {
            r.lock.unlock();
        }
        Handle h = r.handle;
        log.warn("jbd2: handle {} of task {} in transaction {} was not stopped within its lease of {} ms (its caller"
                        + " died or hung); stopping it as at task exit", h.id(), h.owner().task(),
                Integer.toUnsignedString(h.tid()), lease.toMillis());
        try {
            h.setSync(false);
            journal.jbd2_journal_stop(h);
        } catch (ErrnoException e) {
            log.warn("jbd2: stopping expired handle {}: {}", h.id(), e.getMessage());
        }
        onExpiry.accept(h);
    }

    private void close(Remote r) {
        r.closed = true;
        open.remove(r.handle.id(), r);
        if (r.timer != null) {
            r.timer.cancel();
        }
    }

    private Remote find(long id) {
        Remote r = open.get(id);
        if (r == null) {
            throw notOpen(id);
        }
        return r;
    }

    private static ErrnoException notOpen(long id) {
        return new ErrnoException(Errno.EINVAL, "handle " + id + " is not open: it was stopped, or its lease ran out"
                + " (a handle left idle is stopped as at task exit); start a new handle");
    }
}
