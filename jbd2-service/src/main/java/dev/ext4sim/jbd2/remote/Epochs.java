package dev.ext4sim.jbd2.remote;

import dev.ext4sim.bus.Time;
import java.util.Objects;

/**
 * The fence of DESIGN §5: every journal load gets an epoch greater than any earlier one, also across restarts.
 *
 * <p>An epoch is the wall-clock time of the load in milliseconds, bumped past the previous epoch of this process.
 * Nothing is persisted: a restarted process starts from a wall clock that moved on by at least the time a JVM
 * needs to start (seconds) since its predecessor's last load, so its first epoch is larger than any the
 * predecessor handed out. Only a wall clock stepped back by more than a restart takes could repeat an epoch; NTP
 * slews rather than steps, and persisting a counter on the image would cost a synchronous write per load.
 */
public final class Epochs {
    private final Time time;
    private long last;

    public Epochs(Time time) {
        this.time = Objects.requireNonNull(time);
    }

    public synchronized long next() {
        last = Math.max(last + 1, time.currentTimeMillis());
        return last;
    }
}
