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
    private volatile java.util.function.Consumer<String> crashPoints = point -> {
    };

    private final Profile profile;
    private final Time time;
    private final WriteCache cache;
    private final Faults faults;
    private final int sectorsPerBlock;
    private final Link link = new Link();
    private volatile boolean powered = true;
    /**
     * Commands move data under the read lock; starting or stopping the write log takes the write lock, so the log
     * begins on a device with nothing in flight and nothing cached.
     */
    private final java.util.concurrent.locks.ReentrantReadWriteLock quiesce = new java.util.concurrent.locks.ReentrantReadWriteLock();
    private volatile LogWritesTarget logWrites;

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
     *
     * <p>The intervals are kept sorted and disjoint in two arrays, abutting ones merged (a saturated link is one
     * interval): a new command is almost always the latest, so finding its gap and inserting it touch the tail only.
     */
    static final class Link {
        /** Intervals that ended this long before a command is ready are forgotten: none of them can matter to it. */
        static final long FORGET_NANOS = 10_000_000;
        private long[] start = new long[64];
        private long[] end = new long[64];
        /** The live intervals are [head, tail). */
        private int head;
        private int tail;

        long reserve(long ready, long xfer) {
            if (xfer <= 0) {
                return ready;
            }
            while (head < tail && end[head] < ready - FORGET_NANOS) {
                head++;
            }
            // intervals that end by the time the command is ready cannot delay it; skip them by binary search
            int lo = head;
            int hi = tail;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (end[mid] <= ready) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            long begin = ready;
            int i = lo;
            while (i < tail && start[i] < begin + xfer) {
                begin = Math.max(begin, end[i]); // no room before interval i: try after it
                i++;
            }
            insert(i, begin, begin + xfer);
            return begin;
        }

        /** Puts [from, to) before interval i (it fits between i - 1 and i), merging with either neighbour it abuts. */
        private void insert(int i, long from, long to) {
            boolean joinsPrev = i > head && end[i - 1] == from;
            boolean joinsNext = i < tail && start[i] == to;
            if (joinsPrev && joinsNext) {
                end[i - 1] = end[i];
                System.arraycopy(start, i + 1, start, i, tail - i - 1);
                System.arraycopy(end, i + 1, end, i, tail - i - 1);
                tail--;
            } else if (joinsPrev) {
                end[i - 1] = to;
            } else if (joinsNext) {
                start[i] = from;
            } else {
                if (tail == start.length) {
                    i -= head;
                    makeRoom();
                }
                System.arraycopy(start, i, start, i + 1, tail - i);
                System.arraycopy(end, i, end, i + 1, tail - i);
                start[i] = from;
                end[i] = to;
                tail++;
            }
        }

        /** Moves the live intervals to the front, doubling the arrays when they are more than half full. */
        private void makeRoom() {
            int n = tail - head;
            long[] s = n * 2 > start.length ? new long[start.length * 2] : start;
            long[] e = n * 2 > end.length ? new long[end.length * 2] : end;
            System.arraycopy(start, head, s, 0, n);
            System.arraycopy(end, head, e, 0, n);
            start = s;
            end = e;
            head = 0;
            tail = n;
        }

        int intervals() {
            return tail - head;
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
        quiesce.readLock().lock();
        try {
            LogWritesTarget log = logWrites;
            if (log == null) {
                move(rq, null);
            } else {
                synchronized (log) { // the log's order is the order data moved in the cache
                    move(rq, log);
                }
            }
        } finally {
            quiesce.readLock().unlock();
        }
    }

    private void move(Request rq, LogWritesTarget log) {
        switch (rq.op()) {
            case FLUSH -> {
                crashPoints.accept(UfsCrashPoints.FLUSH);
                cache.flush();
                if (log != null) {
                    log.flush();
                }
            }
            case WRITE -> {
                long block = rq.sector() / sectorsPerBlock;
                long at = time.nanoTime();
                boolean fua = rq.flags().contains(ReqFlag.FUA);
                if (fua) {
                    crashPoints.accept(UfsCrashPoints.FUA);
                }
                for (Bio bio : rq.bios()) {
                    if (log != null) {
                        log.write(block, bio.data(), 0, bio.bytes(), fua);
                    }
                    for (int off = 0; off < bio.bytes(); off += cache.blockSize()) {
                        cache.write(block, bio.data(), off, at);
                        // FUA writes through; a full cache degrades to write-through as a device's does
                        if (fua || cache.dirtyBytes() > cacheBytes) {
                            cache.writeBack(block);
                        }
                        block++;
                    }
                }
                if (!fua) {
                    crashPoints.accept(UfsCrashPoints.WRITE);
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

    /** Tells {@code points} each of {@link UfsCrashPoints} as a command reaches it (the service's crash points). */
    public void crashPoints(java.util.function.Consumer<String> points) {
        this.crashPoints = java.util.Objects.requireNonNull(points);
    }

    /**
     * Starts logging writes to {@code log}: with every command held off, the cache is written back and
     * {@code snapshot} copies the image, which the log's entries then rebuild, entry by entry.
     */
    public void startLogWrites(LogWritesTarget log, Runnable snapshot) {
        quiesce.writeLock().lock();
        try {
            if (logWrites != null) {
                throw new ErrnoException(Errno.EBUSY, "writes are already being logged; stop that log first (DELETE "
                        + "/v1/blockdev/log-writes)");
            }
            cache.flush();
            snapshot.run();
            logWrites = log;
        } finally {
            quiesce.writeLock().unlock();
        }
    }

    /** Stops the log (the writes still unflushed go in last, as at dm-log-writes' removal); empty when none ran. */
    public java.util.Optional<LogWritesTarget.Stats> stopLogWrites() {
        quiesce.writeLock().lock();
        try {
            LogWritesTarget log = logWrites;
            logWrites = null;
            return java.util.Optional.ofNullable(log).map(LogWritesTarget::close);
        } finally {
            quiesce.writeLock().unlock();
        }
    }

    public java.util.Optional<LogWritesTarget> logWrites() {
        return java.util.Optional.ofNullable(logWrites);
    }

    /** Pulls the plug: the volatile cache is lost and no command completes any more. Returns the blocks lost. */
    public int powerCut() {
        powered = false;
        return cache.drop();
    }
}
