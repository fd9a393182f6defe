package dev.ext4sim.launcher;

import java.io.PrintStream;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * Starts again a process of the stack that died: one whose pid file is there (so nobody stopped it) but whose process
 * is gone, after the {@link RestartPolicy}'s back-off, and not at all in a crash loop. One {@link #tick} looks at every
 * process; the clocks and the processes are injected, so that the logic is tested without processes or sleeping.
 */
final class Watchdog {
    /** What the watchdog needs of the stack. */
    interface Processes {
        /** Its pid file is there: it was started, and not stopped on purpose. */
        boolean expected(Component c);

        boolean running(Component c);

        /** Starts it and waits until it is healthy; false if it did not come up. */
        boolean start(Component c);

        /**
         * Restarts wait while this holds (a chaos run copies the image of a dead device, which a restarted
         * blockdev-service would write).
         */
        default boolean held() {
            return false;
        }

        /** SIGKILL: a process that goes down with another ({@link Component#goDownWith}). */
        default void kill(Component c) {
        }
    }

    /** A process's record: restarts, the last recovery's time (death seen to healthy), whether it gave up. */
    record Record(int restarts, long lastRecoveryMillis, boolean gaveUp, long lastDeathEpochMillis) {
    }

    private static final class State {
        final RestartPolicy policy = new RestartPolicy();
        long diedAtNanos;
        long diedAtEpochMillis;
        long restartAtNanos;
        boolean starting;
        boolean gaveUp;
        int restarts;
        long lastRecoveryMillis = -1;
    }

    private final List<Component> components;
    private final Processes processes;
    private final LongSupplier nanoTime;
    private final InstantSource wall;
    private final PrintStream log;
    private final Executor starter;
    private final Map<Component, State> states = new LinkedHashMap<>();

    /** Starts run one at a time, in the caller: for tests. */
    Watchdog(List<Component> components, Processes processes, LongSupplier nanoTime, InstantSource wall, PrintStream log) {
        this(components, processes, nanoTime, wall, log, Runnable::run);
    }

    /**
     * @param nanoTime a monotonic clock, for the back-off; {@code wall} for the log and the records
     * @param starter  runs each start (which waits for the process to be healthy): a thread per start in the watchdog
     *                 process, so that ext4-service coming up does not hold back the jbd2-service it waits for
     */
    Watchdog(List<Component> components, Processes processes, LongSupplier nanoTime, InstantSource wall, PrintStream log,
             Executor starter) {
        this.starter = starter;
        this.components = List.copyOf(components);
        this.processes = processes;
        this.nanoTime = nanoTime;
        this.wall = wall;
        this.log = log;
        for (Component c : components) {
            states.put(c, new State());
        }
    }

    synchronized void tick() {
        for (Component c : components) {
            State s = states.get(c);
            if (s.starting) {
                continue;
            }
            if (!processes.expected(c) || processes.running(c)) {
                if (s.gaveUp && processes.running(c)) {
                    s.policy.reset(); // started by hand: watch it afresh
                    say("%s is running again (started by hand); watching it afresh", c.name());
                }
                s.gaveUp = false;
                s.diedAtNanos = 0;
                continue;
            }
            long now = nanoTime.getAsLong();
            if (s.gaveUp) {
                continue;
            }
            if (s.diedAtNanos == 0) {
                s.diedAtNanos = now;
                s.diedAtEpochMillis = wall.millis();
                schedule(c, s, now);
                powerCut(c);
                continue;
            }
            if (now < s.restartAtNanos || processes.held()) {
                continue;
            }
            say("starting %s again (restart %d)", c.name(), s.restarts + 1);
            s.starting = true;
            starter.execute(() -> started(c, s, processes.start(c)));
        }
    }

    /** A death that is a power cut: what goes down with it is killed now, and started again as any death is. */
    private void powerCut(Component c) {
        List<Component> with = c.goDownWith().stream().filter(states::containsKey).filter(processes::running).toList();
        if (!with.isEmpty()) {
            say("%s is dead: a power cut of the machine, which takes %s down with it", c.name(),
                    String.join(" and ", with.stream().map(Component::name).toList()));
            with.forEach(processes::kill);
        }
    }

    private synchronized void started(Component c, State s, boolean healthy) {
        s.starting = false;
        s.policy.started(healthy);
        if (healthy) {
            s.restarts++;
            s.lastRecoveryMillis = (nanoTime.getAsLong() - s.diedAtNanos) / 1_000_000;
            say("%s serves again %.1f s after it was seen dead", c.name(), s.lastRecoveryMillis / 1e3);
            s.diedAtNanos = 0;
        } else {
            schedule(c, s, nanoTime.getAsLong()); // it did not come up
        }
    }

    private void schedule(Component c, State s, long now) {
        RestartPolicy.Decision d = s.policy.onDeath();
        if (!d.restart()) {
            s.gaveUp = true;
            say("%s did not come up %d times in a row: a crash loop, so it stays down; read %s.log, then "
                    + "./ext4sim start %s", c.name(), d.failedStarts(), c.name(), c.name());
            return;
        }
        s.restartAtNanos = now + d.delay().toNanos();
        say("%s is dead; starting it again in %.1f s", c.name(), d.delay().toMillis() / 1e3);
    }

    private void say(String format, Object... args) {
        log.println(wall.instant() + " " + String.format(format, args));
    }

    synchronized Map<Component, Record> records() {
        Map<Component, Record> r = new LinkedHashMap<>();
        states.forEach((c, s) -> r.put(c, new Record(s.restarts, s.lastRecoveryMillis, s.gaveUp,
                s.diedAtNanos == 0 ? 0 : s.diedAtEpochMillis)));
        return r;
    }
}
