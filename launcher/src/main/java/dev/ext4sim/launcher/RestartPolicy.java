package dev.ext4sim.launcher;

import java.time.Duration;

/**
 * When the watchdog starts a dead process again: {@code first} after a death, doubling with each start in a row that
 * did not come up healthy, up to {@code max}; after {@code limit} such starts in a row, not at all: a process that
 * cannot come up is in a crash loop, and starting it again only hides why. A process that came up healthy and died
 * later (killed, or at a crash point, however often) is started again after {@code first}.
 */
final class RestartPolicy {
    /** Restart after {@code delay}, or not at all. */
    record Decision(boolean restart, Duration delay, int failedStarts) {
    }

    static final Duration FIRST = Duration.ofSeconds(1);
    static final Duration MAX = Duration.ofSeconds(30);
    static final int LIMIT = 5;

    private final Duration first;
    private final Duration max;
    private final int limit;
    private int failedStarts;

    RestartPolicy() {
        this(FIRST, MAX, LIMIT);
    }

    RestartPolicy(Duration first, Duration max, int limit) {
        this.first = first;
        this.max = max;
        this.limit = limit;
    }

    Decision onDeath() {
        if (failedStarts >= limit) {
            return new Decision(false, Duration.ZERO, failedStarts);
        }
        Duration delay = first.multipliedBy(1L << Math.min(failedStarts, 20));
        return new Decision(true, delay.compareTo(max) > 0 ? max : delay, failedStarts);
    }

    /** The outcome of a start: healthy resets the count, a start that did not come up adds to it. */
    void started(boolean healthy) {
        failedStarts = healthy ? 0 : failedStarts + 1;
    }

    /** Started by hand after a crash loop: a fresh count. */
    void reset() {
        failedStarts = 0;
    }
}
