package dev.ext4sim.blockdev.ufs;

import dev.ext4sim.blockdev.block.Bio;
import dev.ext4sim.blockdev.block.ReqFlag;
import dev.ext4sim.blockdev.block.ReqOp;
import dev.ext4sim.blockdev.block.Request;
import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Time;
import java.util.Objects;

/**
 * The emulated UFS logical unit: when each command completes, and what it does to the data.
 *
 * <p>Timing: a command pays the profile's per-command overhead in parallel with the others in flight, then its
 * transfer on the link, which moves one command's data at a time at the sequential rate; a SYNCHRONIZE CACHE pays its
 * cost on the link too. With 31 commands in flight, 4 KiB commands complete at the profile's random IOPS; large ones
 * at its sequential MB/s. All of it is computed from the injected clock, so it is unit-tested without waiting.
 *
 * <p>Data: a write completes into the volatile {@link WriteCache}; FUA writes its blocks through to the image; a
 * flush writes the whole cache back; a power cut drops the cache and fails every later command.
 */
public final class UfsDevice {
    private final Profile profile;
    private final Time time;
    private final WriteCache cache;
    private final Faults faults;
    private final int sectorsPerBlock;
    private final Link link = new Link();
    private volatile boolean powered = true;

    private final long cacheBytes;

    public UfsDevice(Profile profile, Time time, WriteCache cache, Faults faults, long cacheBytes) {
        this.cacheBytes = cacheBytes;
        this.profile = Objects.requireNonNull(profile);
        this.time = Objects.requireNonNull(time);
        this.cache = Objects.requireNonNull(cache);
        this.faults = Objects.requireNonNull(faults);
        this.sectorsPerBlock = cache.blockSize() / 512;
    }

    public Profile profile() {
        return profile;
    }

    public WriteCache cache() {
        return cache;
    }

    public Faults faults() {
        return faults;
    }

    public boolean powered() {
        return powered;
    }

    /** The time (of the injected clock) at which a command for {@code rq}, arriving at {@code now}, completes. */
    public synchronized long completionTime(Request rq, long now) {
        long extra = faults.extraLatencyNanos(rq.op(), rq.sector(), rq.nrSectors());
        if (profile.instant()) {
            return now + extra;
        }
        long ready = now + profile.overheadNanos(rq.op());
        long xfer = rq.op() == ReqOp.FLUSH ? profile.flushNanos(cache.dirtyBytes()) - profile.overheadNanos(ReqOp.FLUSH)
                : profile.transferNanos(rq.op(), rq.bytes());
        long begin = link.reserve(ready, xfer);
        return begin + xfer + extra;
    }

    /**
     * The link's timetable: the intervals in which it moves a command's data. A transfer takes the first free gap at
     * or after the moment its command is ready, so commands that arrive out of order (a host credited for a late
     * completion arrives "earlier" than one that was not) never wait behind transfers that start after them.
     */
    static final class Link {
        private final java.util.TreeMap<Long, Long> busy = new java.util.TreeMap<>();

        long reserve(long ready, long xfer) {
            if (xfer <= 0) {
                return ready;
            }
            // forget intervals long over; none of them can matter to a command ready now
            while (!busy.isEmpty() && busy.firstEntry().getValue() < ready - 10_000_000) {
                busy.pollFirstEntry();
            }
            long begin = ready;
            var before = busy.floorEntry(ready);
            if (before != null && before.getValue() > begin) {
                begin = before.getValue();
            }
            for (var e : busy.tailMap(begin, true).entrySet()) {
                if (e.getKey() >= begin + xfer) {
                    break; // the gap before this interval fits
                }
                begin = Math.max(begin, e.getValue());
            }
            busy.put(begin, begin + xfer);
            return begin;
        }
    }

    /**
     * Whether a command's data work is quick enough for the completion interrupt itself: a plain write that fits the
     * cache only updates the cache's map. Reads, FUA, flushes and writes into a full cache touch the image file.
     */
    public boolean quick(Request rq) {
        return rq.op() == ReqOp.WRITE && !rq.flags().contains(ReqFlag.FUA)
                && cache.dirtyBytes() + rq.bytes() <= cacheBytes;
    }

    /**
     * Carries out a command that completed: its data moves. EIO when a fault covers it or the power is gone; nothing
     * changes then.
     */
    public void execute(Request rq) {
        if (!powered) {
            throw new ErrnoException(Errno.EIO, "the device lost power; restart blockdev-service");
        }
        if (faults.fails(rq.op(), rq.sector(), rq.nrSectors())) {
            throw new ErrnoException(Errno.EIO, "injected fault: " + rq.op() + " of sectors " + rq.sector() + " + "
                    + rq.nrSectors() + " failed; clear faults with the blk_admin call clear_faults");
        }
        switch (rq.op()) {
            case FLUSH -> cache.flush();
            case WRITE -> {
                long block = rq.sector() / sectorsPerBlock;
                for (Bio bio : rq.bios()) {
                    for (int off = 0; off < bio.bytes(); off += cache.blockSize()) {
                        cache.write(block, bio.data(), off);
                        // FUA writes through; a full cache degrades to write-through as a device's does
                        if (rq.flags().contains(ReqFlag.FUA) || cache.dirtyBytes() > cacheBytes) {
                            cache.writeBack(block);
                        }
                        block++;
                    }
                }
            }
            case READ -> {
                long block = rq.sector() / sectorsPerBlock;
                for (Bio bio : rq.bios()) {
                    for (int off = 0; off < bio.bytes(); off += cache.blockSize()) {
                        cache.read(block++, bio.data(), off);
                    }
                }
            }
        }
    }

    /** Pulls the plug: the volatile cache is lost and no command completes any more. Returns the blocks lost. */
    public int powerCut() {
        powered = false;
        return cache.drop();
    }
}
