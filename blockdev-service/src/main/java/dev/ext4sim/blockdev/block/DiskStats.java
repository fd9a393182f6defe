package dev.ext4sim.blockdev.block;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * struct disk_stats, the counters behind /proc/diskstats (and so node_exporter's node_disk_* metrics): completed
 * requests, merges, sectors and time per operation, requests in flight and the time the disk was busy.
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
    public final LongAdder errors = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();
    private long busySince;
    private long ioTimeNanos;

    synchronized void start(long now) {
        if (inFlight.getAndIncrement() == 0) {
            busySince = now;
        }
    }

    synchronized void done(Request rq, long now, long elapsed) {
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
}
