package dev.ext4sim.bus.crash;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Named places in a service where, once armed, the process dies on the spot as SIGKILL would: no shutdown hook runs,
 * nothing is flushed, no reply goes out. A point fires the Nth time it is reached, or each time with a probability;
 * an armed point fires once (the process is gone). The service lists its points with what each one interrupts.
 *
 * <p>The dying and the dice are injected, so that the logic is tested without a process dying.
 */
public final class CrashPoints {
    /** How a point is armed: fire at the {@code nth} hit, or with {@code probability} at each hit; hits so far. */
    public record Armed(String point, Long nth, Double probability, long hits) {
    }

    /** A point the service has, and what dying there interrupts. */
    public record Point(String name, String description) {
    }

    private final Map<String, Point> points = new LinkedHashMap<>();
    private final Map<String, Arming> armed = new ConcurrentHashMap<>();
    private final Random random;
    private final Runnable die;

    /** @param die what firing does; {@link #halt} in a service */
    public CrashPoints(List<Point> points, Random random, Runnable die) {
        for (Point p : points) {
            this.points.put(p.name(), p);
        }
        this.random = random;
        this.die = die;
    }

    /** Runtime.halt(137): the exit status of a process killed by SIGKILL, and no shutdown hook. */
    public static Runnable halt() {
        return () -> Runtime.getRuntime().halt(137);
    }

    public List<Point> points() {
        return List.copyOf(points.values());
    }

    /** Arms {@code point}: give exactly one of {@code nth} (1 or more) and {@code probability} (above 0, at most 1). */
    public Armed arm(String point, Long nth, Double probability) {
        if (point == null || !points.containsKey(point)) {
            throw new ErrnoException(Errno.EINVAL, "no crash point '" + point + "' here; the points are " + points.keySet());
        }
        if ((nth == null) == (probability == null)) {
            throw new ErrnoException(Errno.EINVAL, "arm " + point + " with either nth (fire at the Nth hit) or "
                    + "probability (fire at each hit with that chance), not " + (nth == null ? "neither" : "both"));
        }
        if (nth != null && nth < 1) {
            throw new ErrnoException(Errno.EINVAL, "nth counts hits from 1, not " + nth);
        }
        if (probability != null && !(probability > 0 && probability <= 1)) {
            throw new ErrnoException(Errno.EINVAL, "probability must be above 0 and at most 1, not " + probability);
        }
        Arming a = new Arming(nth, probability);
        armed.put(point, a);
        return a.view(point);
    }

    public void disarm(String point) {
        armed.remove(point);
    }

    public void disarmAll() {
        armed.clear();
    }

    public List<Armed> armed() {
        List<Armed> list = new ArrayList<>();
        armed.forEach((p, a) -> list.add(a.view(p)));
        return list;
    }

    /** The service reached {@code point}: dies here if the point is armed and its turn has come. */
    public void hit(String point) {
        hit(point, () -> {
        });
    }

    /**
     * As {@link #hit(String)}, running {@code beforeDying} first when the point fires: what the process has in hand
     * at that point and would have sent already without batching (jbd2's plugged log writes).
     */
    public void hit(String point, Runnable beforeDying) {
        Arming a = armed.get(point);
        if (a == null) {
            return;
        }
        long n = a.hits.incrementAndGet();
        boolean fire = a.nth != null ? n == a.nth : random.nextDouble() < a.probability;
        if (fire) {
            System.err.println("ext4sim: crash point " + point + " fired at hit " + n + ": the process dies as under SIGKILL");
            beforeDying.run();
            die.run();
        }
    }

    private static final class Arming {
        final Long nth;
        final Double probability;
        final AtomicLong hits = new AtomicLong();

        Arming(Long nth, Double probability) {
            this.nth = nth;
            this.probability = probability;
        }

        Armed view(String point) {
            return new Armed(point, nth, probability, hits.get());
        }
    }
}
