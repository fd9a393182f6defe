package dev.ext4sim.blockdev.ufs;

import dev.ext4sim.bus.crash.CrashPoints;
import java.util.List;

/**
 * Power cuts at the device's persistence points, as CrashMonkey and ACE place crashes: before a cache flush or a FUA
 * write is carried out, or after a write reached the volatile cache. The process dies, so the cache is lost.
 */
public final class UfsCrashPoints {
    public static final String FLUSH = "blockdev.flush";
    public static final String FUA = "blockdev.fua";
    public static final String WRITE = "blockdev.write";

    public static final List<CrashPoints.Point> POINTS = List.of(
            new CrashPoints.Point(FLUSH, "a power cut as a SYNCHRONIZE CACHE arrives: the cache it would have written "
                    + "back is lost"),
            new CrashPoints.Point(FUA, "a power cut as a FUA write arrives: neither it nor the cache reaches the image"),
            new CrashPoints.Point(WRITE, "a power cut after a write reached the volatile cache (nth: after N writes)"));

    private UfsCrashPoints() {
    }
}
