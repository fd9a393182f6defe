package dev.ext4sim.launcher;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * When the watchdog starts a dead process again: after {@code first}, doubling with each restart still inside the
 * window, up to {@code max}; after {@code limit} restarts inside the window, not at all: a process that dies as soon as
 * it starts is in a crash loop, and starting it again only hides why.
 */
final class RestartPolicy {
    /** Restart after {@code delay}, or not at all. */
    record Decision(boolean restart, Duration delay, int recentRestarts) {
    }

    static final Duration FIRST = Duration.ofSeconds(1);
    static final Duration MAX = Duration.ofSeconds(30);
    static final int LIMIT = 5;
    static final Duration WINDOW = Duration.ofMinutes(5);

    private final Duration first;
    private final Duration max;
    private final int limit;
    private final Duration window;
    private final Deque<Long> restarts = new ArrayDeque<>();

    RestartPolicy() {
        this(FIRST, MAX, LIMIT, WINDOW);
    }

    RestartPolicy(Duration first, Duration max, int limit, Duration window) {
        this.first = first;
        this.max = max;
        this.limit = limit;
        this.window = window;
    }

    Decision onDeath(long nowNanos) {
        while (!restarts.isEmpty() && nowNanos - restarts.peekFirst() > window.toNanos()) {
            restarts.removeFirst();
        }
        int recent = restarts.size();
        if (recent >= limit) {
            return new Decision(false, Duration.ZERO, recent);
        }
        Duration delay = first.multipliedBy(1L << Math.min(recent, 20));
        return new Decision(true, delay.compareTo(max) > 0 ? max : delay, recent);
    }

    void restarted(long nowNanos) {
        restarts.addLast(nowNanos);
    }

    /** Started by hand after a crash loop: a fresh count. */
    void reset() {
        restarts.clear();
    }
}
