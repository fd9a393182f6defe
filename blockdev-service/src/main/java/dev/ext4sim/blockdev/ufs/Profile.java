package dev.ext4sim.blockdev.ufs;

import dev.ext4sim.blockdev.block.ReqOp;
import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A UFS part's published figures (reference/ufs-device.md §3): sequential read and write in MB/s (10^6 bytes), random
 * 4 KiB read and write IOPS at full queue depth. The model derives from them, by Little's law, a per-command overhead
 * that commands pay in parallel, and a transfer time that they pay one after another on the link; a SYNCHRONIZE CACHE
 * costs twice a write command's overhead plus writing the dirty cache at the sequential write rate, which makes a
 * flush per 4 KiB write about three times slower, as in the Pixel 3 "nobarrier" anecdote of §3.4.
 *
 * @param tags commands the device serves at once (32 slots, one reserved for device management: 31)
 */
public record Profile(String name, double seqReadMBps, double seqWriteMBps, double randReadIops, double randWriteIops,
                      int tags, String source) {
    public static final int BLOCK = 4096;

    public static final Map<String, Profile> KNOWN = known();

    private static Map<String, Profile> known() {
        Map<String, Profile> m = new LinkedHashMap<>();
        m.put("ufs2.1", new Profile("ufs2.1", 1000, 260, 58_000, 50_000, 31, "Samsung 1 TB eUFS 2.1 (Jan 2019)"));
        m.put("ufs3.1", new Profile("ufs3.1", 2100, 1200, 100_000, 70_000, 31, "Samsung 512 GB eUFS 3.1 (Mar 2020)"));
        m.put("ufs4.0", new Profile("ufs4.0", 4200, 2800, 200_000, 140_000, 31,
                "Samsung UFS 4.0 (May 2022) sequential; random IOPS not published: assumed twice UFS 3.1 (HS-G5 doubles HS-G4)"));
        m.put("instant", new Profile("instant", 0, 0, 0, 0, 31, "no latency: for tests"));
        return Map.copyOf(m);
    }

    public static Profile named(String name) {
        Profile p = KNOWN.get(name);
        if (p == null) {
            throw new ErrnoException(Errno.EINVAL, "no device profile '" + name + "'; set ext4sim.blockdev.profile to one of "
                    + KNOWN.keySet().stream().sorted().toList());
        }
        return p;
    }

    public boolean instant() {
        return seqWriteMBps == 0;
    }

    /** Time to move {@code bytes} over the link: bytes / (MB/s * 10^6) seconds. */
    public long transferNanos(ReqOp op, long bytes) {
        if (instant() || bytes == 0) {
            return 0;
        }
        double mbps = op == ReqOp.READ ? seqReadMBps : seqWriteMBps;
        return (long) (bytes * 1000.0 / mbps);
    }

    /** The part of a command's latency that commands pay in parallel: tags / IOPS minus a 4 KiB transfer. */
    public long overheadNanos(ReqOp op) {
        if (instant()) {
            return 0;
        }
        return switch (op) {
            case READ -> Math.max(0, (long) (tags * 1e9 / randReadIops) - transferNanos(ReqOp.READ, BLOCK));
            case WRITE -> Math.max(0, (long) (tags * 1e9 / randWriteIops) - transferNanos(ReqOp.WRITE, BLOCK));
            case FLUSH -> 2 * overheadNanos(ReqOp.WRITE);
        };
    }

    /** SYNCHRONIZE CACHE: a fixed cost and the dirty cache written to the media at the sequential write rate. */
    public long flushNanos(long dirtyBytes) {
        return overheadNanos(ReqOp.FLUSH) + transferNanos(ReqOp.WRITE, dirtyBytes);
    }
}
