package dev.ext4sim.writeback.wb;

import dev.ext4sim.bus.trace.TraceClock;
import java.time.Duration;
import java.util.Objects;

/**
 * jiffies: ticks of HZ since the simulated boot, read from the trace clock that every service shares, so a
 * dirtied_when stamped by ext4 and the flusher's "now" compare. As in the kernel it starts at INITIAL_JIFFIES (five
 * minutes before the 32-bit wrap), so traced values look like a 64-bit kernel's (dirtied_when=4294892546) and
 * "now minus 30 s" is never negative early after boot: jiffies = 4294892296 + nanosSinceBoot / (10^9 / HZ).
 */
public record Jiffies(TraceClock clock, int hz) {
    /** The shared formula's (ext4 stamps dirtied_when with it): {@link dev.ext4sim.bus.trace.Jiffies}. */
    public static final int HZ = dev.ext4sim.bus.trace.Jiffies.HZ;
    /** INITIAL_JIFFIES at HZ 250: (unsigned long)(unsigned int)(-300 * HZ). */
    public static final long INITIAL_JIFFIES = dev.ext4sim.bus.trace.Jiffies.INITIAL_JIFFIES;

    public Jiffies {
        Objects.requireNonNull(clock);
        if (hz <= 0 || 1000 % hz != 0) {
            throw new IllegalArgumentException("HZ must divide 1000, got " + hz);
        }
    }

    public Jiffies(TraceClock clock) {
        this(clock, HZ);
    }

    public long now() {
        if (hz == HZ) {
            return dev.ext4sim.bus.trace.Jiffies.at(clock.nanosSinceBoot());
        }
        return ((-300L * hz) & 0xFFFF_FFFFL) + Math.floorDiv(clock.nanosSinceBoot(), 1_000_000_000L / hz);
    }

    /** msecs_to_jiffies rounds up. */
    public long msecs_to_jiffies(long ms) {
        return Math.ceilDiv(ms * hz, 1000);
    }

    public long jiffies_to_msecs(long j) {
        return j * (1000 / hz);
    }

    /** The time from now until jiffies reaches {@code j} (zero when it has). */
    public Duration untilJiffy(long j) {
        long nanosPerJiffy = 1_000_000_000L / hz;
        long at = (j - ((-300L * hz) & 0xFFFF_FFFFL)) * nanosPerJiffy;
        return Duration.ofNanos(Math.max(0, at - clock.nanosSinceBoot()));
    }

    public Duration toDuration(long j) {
        return Duration.ofMillis(jiffies_to_msecs(j));
    }

    /** time_after(a, b): a is later than b (wrap-safe). */
    public static boolean time_after(long a, long b) {
        return b - a < 0;
    }

    public static boolean time_before(long a, long b) {
        return time_after(b, a);
    }
}
