package dev.ext4sim.ext4.remote;

import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.Events;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceClock;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.writeback.WritebackCalls;
import dev.ext4sim.ext4.port.WritebackPort;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ext4's side of writeback over the bus: one-way events keyed by the device (dirtied inodes in the writer's trace
 * context, absolute page counters coalesced to one in flight, evictions), and balance_dirty_pages asked of
 * writeback-service only when the filesystem's dirty pages are past the freerun point it published, so an ordinary
 * write() makes no call to writeback.
 */
public final class BusWriteback implements WritebackPort {
    private static final Logger log = LoggerFactory.getLogger(BusWriteback.class);

    private final Events events;
    private final CallClient client;
    private final String dev;
    private final TraceClock clock;
    private final Duration timeout;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile WritebackCalls.DirtyLimits limits;
    private volatile WritebackPort.PageCounts counts = new WritebackPort.PageCounts(0, 0, 0, 0);
    private long lastSeq;
    private boolean countersInFlight;
    private boolean countersPending;
    private TraceContext countersCtx;

    public BusWriteback(Events events, CallClient client, String dev, TraceClock clock, Duration timeout) {
        this.events = events;
        this.client = client;
        this.dev = dev;
        this.clock = clock;
        this.timeout = timeout;
    }

    /** DIRTY_LIMITS event, or the answer of GET_DIRTY_LIMITS. */
    public void limits(WritebackCalls.DirtyLimits limits) {
        this.limits = limits;
    }

    public WritebackCalls.DirtyLimits limits() {
        return limits;
    }

    public long dirtyPages() {
        return counts.dirty();
    }

    /** Asks writeback for the limits in the background until it answers (writeback may start after ext4). */
    public void fetchLimits(Duration retry) {
        Thread.ofVirtual().name("ext4-dirty-limits").start(() -> {
            TraceContext ctx = TraceContext.of(new Task("ext4", 0));
            while (limits == null) {
                try {
                    limits(client.invoke(WritebackCalls.SERVICE, WritebackCalls.GET_DIRTY_LIMITS,
                            new WritebackCalls.DirtyLimitsQuery(dev), timeout, ctx));
                    log.info("ext4: dirty limits from writeback: {}", limits);
                } catch (ErrnoException e) {
                    try {
                        Thread.sleep(retry.toMillis()); // retry pacing while writeback is not up
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        });
    }

    @Override
    public void inodeDirtied(TraceContext ctx, InodeDirtied e) {
        events.publish(WritebackCalls.INODE_DIRTIED, dev, new WritebackCalls.InodeDirtied(dev, e.ino(), e.state(),
                e.flags(), e.mode(), e.dirtiedWhen(), clock.nanosSinceBoot()), ctx);
    }

    @Override
    public void inodeEvicted(TraceContext ctx, long ino) {
        events.publish(WritebackCalls.INODE_EVICTED, dev, new WritebackCalls.InodeEvicted(dev, ino), ctx);
    }

    @Override
    public void pageCountersChanged(TraceContext ctx, WritebackPort.PageCounts counts) {
        lock.lock();
        try {
            this.counts = counts;
            countersCtx = ctx;
            if (countersInFlight) {
                countersPending = true; // the newest values go once the one in flight is out
                return;
            }
            countersInFlight = true;
        } finally {
            lock.unlock();
        }
        sendCounters();
    }

    private void sendCounters() {
        WritebackCalls.PageCounters pc;
        TraceContext ctx;
        lock.lock();
        try {
            // trace-clock ns: larger than any sequence a previous ext4 instance sent
            lastSeq = Math.max(lastSeq + 1, clock.nanosSinceBoot());
            WritebackPort.PageCounts c = counts;
            pc = new WritebackCalls.PageCounters(dev, lastSeq, c.dirty(), c.writeback(), c.dirtied(), c.written());
            ctx = countersCtx;
            countersPending = false;
        } finally {
            lock.unlock();
        }
        events.publish(WritebackCalls.PAGE_COUNTERS, dev, pc, ctx).whenComplete((ok, err) -> {
            boolean again;
            lock.lock();
            try {
                again = countersPending;
                countersInFlight = again;
            } finally {
                lock.unlock();
            }
            if (again) {
                sendCounters();
            }
        });
    }

    @Override
    public Duration balanceDirtyPagesRatelimited(TraceContext ctx, int pagesDirtied) {
        WritebackCalls.DirtyLimits l = limits;
        if (l == null || counts.dirty() <= l.freerun()) {
            return Duration.ZERO;
        }
        try {
            WritebackCalls.Pause p = client.invoke(WritebackCalls.SERVICE, WritebackCalls.BALANCE_DIRTY_PAGES,
                    new WritebackCalls.Balance(dev, pagesDirtied), timeout, ctx);
            return Duration.ofNanos(p.pauseNanos());
        } catch (ErrnoException e) {
            return Duration.ZERO; // writeback away: no throttling rather than a failed write
        }
    }
}
