package dev.ext4sim.blockdev.ufs;

import dev.ext4sim.ondisk.logwrites.LogWrites;
import java.util.ArrayList;
import java.util.List;

/**
 * drivers/md/dm-log-writes.c stacked on the device: writes are logged in the order they became durable, not the
 * order they completed. A write that completed into the volatile cache waits on the unflushed list
 * (lc->unflushed_blocks) until a cache flush splices it into the log ahead of the flush; a FUA write is logged at once.
 * Replaying the log up to a flush or a FUA entry so gives the disk as a power cut there leaves it, with everything
 * the device did not promise lost.
 */
public final class LogWritesTarget {
    /** A completed write still in the cache: the bio's data is kept by reference, as the cache keeps it. */
    private record Pending(long sector, byte[] data, int off, int len) {
    }

    public record Stats(long entries, long writes, long flushes, long fuas, long marks, int unflushed) {
    }

    private final LogWrites log;
    private final List<Pending> unflushed = new ArrayList<>();
    private long writes;
    private long flushes;
    private long fuas;
    private long marks;

    public LogWritesTarget(LogWrites log) {
        this.log = log;
    }

    /** A write of {@code len} bytes at logical block {@code block} completed: logged now if FUA, else at the next flush. */
    synchronized void write(long block, byte[] data, int off, int len, boolean fua) {
        writes++;
        if (fua) {
            fuas++;
            log.write(block, data, off, len, LogWrites.LOG_FUA_FLAG);
        } else {
            unflushed.add(new Pending(block, data, off, len));
        }
    }

    /** A SYNCHRONIZE CACHE completed: what was cached is durable, in the order it completed. */
    synchronized void flush() {
        flushes++;
        spliceUnflushed();
        log.flush();
    }

    /** A mark between the entries, to find a moment of the workload again (log_mark). Returns its entry's index. */
    public synchronized long mark(String text) {
        marks++;
        log.mark(text);
        return log.entries() - 1;
    }

    /** log_writes_dtr: the writes still unflushed go in, then the end mark. */
    synchronized Stats close() {
        spliceUnflushed();
        mark("dm-log-writes-end");
        log.close();
        return stats();
    }

    public synchronized Stats stats() {
        return new Stats(log.entries(), writes, flushes, fuas, marks, unflushed.size());
    }

    private void spliceUnflushed() {
        for (Pending p : unflushed) {
            log.write(p.sector, p.data, p.off, p.len, 0);
        }
        unflushed.clear();
    }
}
