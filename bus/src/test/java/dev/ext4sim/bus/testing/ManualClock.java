package dev.ext4sim.bus.testing;

import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.trace.TraceClock;
import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;

/**
 * A deterministic clock and scheduler for tests. Time stands still until {@link #advance(Duration)} moves it;
 * advancing runs every scheduled task that falls due, in due-time order (ties in scheduling order), with the
 * clock set to the task's due time while it runs. Tasks never run inside {@link #schedule}, not even with a zero
 * delay: a zero-delay task runs at the next {@code advance}, {@code advance(Duration.ZERO)} included.
 * Nothing here sleeps or starts a thread.
 */
public final class ManualClock implements Time, Scheduler {
    /** Where the wall clock of a new ManualClock starts, unless told otherwise. */
    public static final Instant DEFAULT_WALL_START = Instant.parse("2026-01-01T00:00:00Z");

    private final long wallStartMillis;
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private long nanos;
    private long sequence;

    public ManualClock() {
        this(DEFAULT_WALL_START);
    }

    public ManualClock(Instant wallStart) {
        this.wallStartMillis = wallStart.toEpochMilli();
    }

    @Override
    public synchronized long nanoTime() {
        return nanos;
    }

    @Override
    public synchronized long currentTimeMillis() {
        return wallStartMillis + Math.floorDiv(nanos, 1_000_000L);
    }

    /** The trace clock of this machine: nanoseconds since the clock was created (its "boot"). */
    public TraceClock traceClock() {
        return this::nanoTime;
    }

    /** How much time has passed since the clock was created. */
    public synchronized Duration elapsed() {
        return Duration.ofNanos(nanos);
    }

    @Override
    public synchronized Cancellable schedule(Duration delay, Runnable task) {
        long d = Math.max(0, delay.toNanos());
        Timer timer = new Timer(nanos + d, sequence++, task);
        timers.add(timer);
        return () -> {
            synchronized (ManualClock.this) {
                timers.remove(timer);
            }
        };
    }

    /** Number of scheduled tasks that have neither run nor been cancelled. */
    public synchronized int pendingTasks() {
        return timers.size();
    }

    /** Moves the clock forward, running the tasks that fall due on the way. Tasks they schedule run too when due. */
    public void advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("a clock does not run backwards: " + by);
        }
        long target;
        synchronized (this) {
            target = nanos + by.toNanos();
        }
        while (true) {
            Timer next;
            synchronized (this) {
                next = timers.peek();
                if (next == null || next.due > target) {
                    nanos = target;
                    return;
                }
                timers.poll();
                nanos = Math.max(nanos, next.due);
            }
            next.task.run(); // outside the lock: a task may read the clock, schedule or cancel
        }
    }

    public void advanceMillis(long millis) {
        advance(Duration.ofMillis(millis));
    }

    /** Runs the tasks already due without moving the clock. */
    public void runDue() {
        advance(Duration.ZERO);
    }

    private record Timer(long due, long seq, Runnable task) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(due, o.due);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }
}
