package dev.ext4sim.writeback;

import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.writeback.wb.Writeback;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * What writeback does once it is on the bus: publishes DIRTY_LIMITS, and rebuilds its dirty lists from ext4
 * (ext4_dirty_inodes) for each configured filesystem, retrying until ext4 answers (it may start later, or not be
 * mounted yet): after {@code retry}, then twice as long each time up to {@link #MAX_RETRY}. Afterwards, every
 * {@code resyncInterval}, the lists are merged again with ext4's dirty inodes: that is how a restart of ext4-service,
 * or an event lost while writeback was down, is caught up with (an inode already queued keeps its place, so a merge
 * changes nothing when nothing was missed).
 *
 * <p>Attempts are timed by the injected {@link Scheduler} and run on {@code executor} (they make a blocking call).
 */
final class Resync implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(Resync.class);
    static final Duration MAX_RETRY = Duration.ofSeconds(30);

    private final Writeback writeback;
    private final WritebackEndpoints endpoints;
    private final List<String> filesystems;
    private final Scheduler scheduler;
    private final Executor executor;
    private final BooleanSupplier busReady;
    private final Duration retry;
    private final Duration resyncInterval;
    private final Set<String> pending = new LinkedHashSet<>();
    private volatile boolean running;
    private boolean limitsPublished;
    private Scheduler.Cancellable next;
    private long lastComplaint = Long.MIN_VALUE;
    private int rebuilds;
    private Duration backoff;

    Resync(Writeback writeback, WritebackEndpoints endpoints, List<String> filesystems, Scheduler scheduler,
           Executor executor, BooleanSupplier busReady, Duration retry, Duration resyncInterval) {
        this.writeback = Objects.requireNonNull(writeback);
        this.endpoints = Objects.requireNonNull(endpoints);
        this.filesystems = List.copyOf(filesystems);
        this.scheduler = Objects.requireNonNull(scheduler);
        this.executor = Objects.requireNonNull(executor);
        this.busReady = Objects.requireNonNull(busReady);
        this.retry = Objects.requireNonNull(retry);
        this.resyncInterval = Objects.requireNonNull(resyncInterval);
        this.backoff = retry;
    }

    @Override
    public synchronized void start() {
        running = true;
        pending.addAll(filesystems);
        schedule(Duration.ZERO);
    }

    @Override
    public synchronized void stop() {
        running = false;
        if (next != null) {
            next.cancel();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 1000; // after the bus starts, stopped before it
    }

    /** Filesystems rebuilt so far (each merge counts), for tests and logs. */
    synchronized int rebuilds() {
        return rebuilds;
    }

    /** Filesystems the next attempt rebuilds (all of them again once a periodic merge is due). */
    synchronized List<String> pending() {
        return List.copyOf(pending);
    }

    private synchronized void schedule(Duration delay) {
        if (running) {
            next = scheduler.schedule(delay, () -> executor.execute(this::attempt));
        }
    }

    private void attempt() {
        if (!running) {
            return;
        }
        if (!busReady.getAsBoolean()) {
            schedule(retry);
            return;
        }
        publishLimitsOnce();
        List<String> todo;
        synchronized (this) {
            todo = List.copyOf(pending);
        }
        for (String fs : todo) {
            try {
                int queued = writeback.rebuild(endpoints.dev(fs));
                synchronized (this) {
                    pending.remove(fs);
                    rebuilds++;
                }
                if (queued > 0) {
                    log.info("rebuilt the dirty lists of {} from ext4: {} inodes queued", fs, queued);
                }
            } catch (ErrnoException e) {
                complain("cannot rebuild the dirty lists of " + fs + " yet (" + e.errno() + ": " + e.detail()
                        + "); retrying");
            }
        }
        synchronized (this) {
            if (!pending.isEmpty() || !limitsPublished) {
                schedule(backoff);
                Duration cap = retry.compareTo(MAX_RETRY) > 0 ? retry : MAX_RETRY;
                Duration doubled = backoff.multipliedBy(2);
                backoff = doubled.compareTo(cap) > 0 ? cap : doubled;
                return;
            }
            backoff = retry;
            if (!resyncInterval.isZero()) {
                pending.addAll(filesystems);
                schedule(resyncInterval);
            }
        }
    }

    private void publishLimitsOnce() {
        synchronized (this) {
            if (limitsPublished) {
                return;
            }
        }
        try {
            endpoints.publishDirtyLimits().get(retry.toMillis() + 5_000, TimeUnit.MILLISECONDS);
            synchronized (this) {
                limitsPublished = true;
            }
        } catch (Exception e) {
            complain("could not publish the dirty limits yet: " + e);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void complain(String message) {
        long now = System.nanoTime();
        synchronized (this) {
            if (lastComplaint != Long.MIN_VALUE && now - lastComplaint < 5_000_000_000L) {
                return;
            }
            lastComplaint = now;
        }
        log.info(message);
    }
}
