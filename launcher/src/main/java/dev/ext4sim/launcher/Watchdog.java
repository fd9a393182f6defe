package dev.ext4sim.launcher;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts again a process of the stack that died: one whose pid file is there (so nobody stopped it) but whose process
 * is gone, after the {@link RestartPolicy}'s back-off, and not at all in a crash loop. One {@link #tick} looks at every
 * process; the clock and the processes are injected, so that the logic is tested without processes or sleeping.
 */
final class Watchdog {
    /** The clocks: monotonic nanoseconds for the back-off, wall milliseconds for the record. */
    interface Clock {
        long nanoTime();

        long currentTimeMillis();

        Clock SYSTEM = new Clock() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public long currentTimeMillis() {
                return System.currentTimeMillis();
            }
        };
    }

    /** What the watchdog needs of the stack. */
    interface Processes {
        /** Its pid file is there: it was started, and not stopped on purpose. */
        boolean expected(Component c);

        boolean running(Component c);

        /** Starts it and waits until it is healthy; false if it did not come up. */
        boolean start(Component c);
    }

    /** A process's record: restarts, the last recovery's time (death seen to healthy), whether it gave up. */
    record Record(int restarts, long lastRecoveryMillis, boolean gaveUp, long lastDeathEpochMillis) {
    }

    private static final class State {
        final RestartPolicy policy = new RestartPolicy();
        long diedAtNanos;
        long diedAtEpochMillis;
        long restartAtNanos;
        boolean gaveUp;
        int restarts;
        long lastRecoveryMillis = -1;
    }

    private final List<Component> components;
    private final Processes processes;
    private final Clock time;
    private final PrintStream log;
    private final Map<Component, State> states = new LinkedHashMap<>();

    Watchdog(List<Component> components, Processes processes, Clock time, PrintStream log) {
        this.components = List.copyOf(components);
        this.processes = processes;
        this.time = time;
        this.log = log;
        for (Component c : components) {
            states.put(c, new State());
        }
    }

    void tick() {
        for (Component c : components) {
            State s = states.get(c);
            if (!processes.expected(c) || processes.running(c)) {
                if (s.gaveUp && processes.running(c)) {
                    s.policy.reset(); // started by hand: watch it afresh
                    say("%s is running again (started by hand); watching it afresh", c.name());
                }
                s.gaveUp = false;
                s.diedAtNanos = 0;
                continue;
            }
            long now = time.nanoTime();
            if (s.gaveUp) {
                continue;
            }
            if (s.diedAtNanos == 0) {
                s.diedAtNanos = now;
                s.diedAtEpochMillis = time.currentTimeMillis();
                schedule(c, s, now);
                continue;
            }
            if (now < s.restartAtNanos) {
                continue;
            }
            s.policy.restarted(now);
            say("starting %s again (restart %d)", c.name(), s.restarts + 1);
            if (processes.start(c)) {
                s.restarts++;
                s.lastRecoveryMillis = (time.nanoTime() - s.diedAtNanos) / 1_000_000;
                say("%s serves again %.1f s after it was seen dead", c.name(), s.lastRecoveryMillis / 1e3);
                s.diedAtNanos = 0;
            } else {
                schedule(c, s, time.nanoTime()); // it died again while starting
            }
        }
    }

    private void schedule(Component c, State s, long now) {
        RestartPolicy.Decision d = s.policy.onDeath(now);
        if (!d.restart()) {
            s.gaveUp = true;
            say("%s died after %d restarts within %d min: a crash loop, so it stays down; read %s.log, then "
                    + "./ext4sim start %s", c.name(), d.recentRestarts(), RestartPolicy.WINDOW.toMinutes(), c.name(), c.name());
            return;
        }
        s.restartAtNanos = now + d.delay().toNanos();
        say("%s is dead; starting it again in %.1f s", c.name(), d.delay().toMillis() / 1e3);
    }

    private void say(String format, Object... args) {
        log.println(java.time.Instant.ofEpochMilli(time.currentTimeMillis()) + " " + String.format(format, args));
    }

    Map<Component, Record> records() {
        Map<Component, Record> r = new LinkedHashMap<>();
        states.forEach((c, s) -> r.put(c, new Record(s.restarts, s.lastRecoveryMillis, s.gaveUp,
                s.diedAtNanos == 0 ? 0 : s.diedAtEpochMillis)));
        return r;
    }
}
