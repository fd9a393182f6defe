package dev.ext4sim.blockdev.block;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * struct disk_stats, the counters behind /proc/diskstats (and so node_exporter's node_disk_* metrics): completed
 * requests, merges, sectors and time per operation, requests in flight, the time the disk was busy and the weighted
 * time (time_in_queue); and the FUA writes among the completed writes, which diskstats does not tell apart.
 */
public final class DiskStats {
    public final LongAdder readsCompleted = new LongAdder();
    public final LongAdder readsMerged = new LongAdder();
    public final LongAdder sectorsRead = new LongAdder();
    public final LongAdder readTimeNanos = new LongAdder();
    public final LongAdder writesCompleted = new LongAdder();
    public final LongAdder writesMerged = new LongAdder();
    public final LongAdder sectorsWritten = new LongAdder();
    public final LongAdder writeTimeNanos = new LongAdder();
    public final LongAdder flushesCompleted = new LongAdder();
    public final LongAdder flushTimeNanos = new LongAdder();
    public final LongAdder fuaWritesCompleted = new LongAdder();
    public final LongAdder errors = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();
    private long busySince;
    private long ioTimeNanos;
    /** When {@link #weightedNanos} last caught up with the requests in flight (part_round_stats' stamp). */
    private long stamp;
    private long weightedNanos;

    synchronized void start(long now) {
        roundWeighted(now);
        if (inFlight.getAndIncrement() == 0) {
            busySince = now;
        }
    }

    synchronized void done(Request rq, long now, long elapsed) {
        roundWeighted(now);
        if (inFlight.decrementAndGet() == 0) {
            ioTimeNanos += now - busySince;
        }
        switch (rq.op()) {
            case READ -> {
                readsCompleted.increment();
                sectorsRead.add(rq.nrSectors());
                readTimeNanos.add(elapsed);
            }
            case WRITE -> {
                writesCompleted.increment();
                sectorsWritten.add(rq.nrSectors());
                writeTimeNanos.add(elapsed);
                if (rq.flags().contains(ReqFlag.FUA)) {
                    fuaWritesCompleted.increment();
                }
            }
            case FLUSH -> {
                flushesCompleted.increment();
                flushTimeNanos.add(elapsed);
            }
        }
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Time with at least one request in flight (io_ticks), including the current busy period. */
    public synchronized long ioTimeNanos(long now) {
        return ioTimeNanos + (inFlight.get() > 0 ? now - busySince : 0);
    }

    /**
     * time_in_queue: every request's time from issue to completion, summed; requests in flight count up to now, as
     * 4.x's part_round_stats adds in_flight * (now - stamp), so a long request raises the rate while it runs
     * instead of all at once when it completes.
     */
    public synchronized long weightedTimeNanos(long now) {
        return weightedNanos + (long) inFlight.get() * (now - stamp);
    }

    private void roundWeighted(long now) {
        weightedNanos += (long) inFlight.get() * (now - stamp);
        stamp = now;
    }
}
