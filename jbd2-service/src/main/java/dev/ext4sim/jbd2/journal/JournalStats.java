package dev.ext4sim.jbd2.journal;

/**
 * {@code struct transaction_stats_s} (j_stats) plus {@code j_average_commit_time}: the totals /proc/fs/jbd2/&lt;dev&gt;/info
 * divides. Thread-safe.
 */
public final class JournalStats {
    private long tid;
    private long requested;
    private long wait;
    private long requestDelay;
    private long running;
    private long locked;
    private long flushing;
    private long logging;
    private long handleCount;
    private long blocks;
    private long blocksLogged;
    private long averageCommitTimeNanos;

    /** Adds one commit (jbd2_journal_commit_transaction, after T_COMMIT_CALLBACK). */
    synchronized void add(RunStats s) {
        tid++;
        if (s.requested()) {
            requested++;
            requestDelay += s.requestDelay();
        }
        wait += s.waitTime();
        running += s.running();
        locked += s.locked();
        flushing += s.flushing();
        logging += s.logging();
        handleCount += s.handleCount();
        blocks += s.blocks();
        blocksLogged += s.blocksLogged();
    }

    /** j_average_commit_time: {@code avg = avg ? (t + 3·avg) / 4 : t}. */
    synchronized long updateAverageCommitTime(long commitTimeNanos) {
        averageCommitTimeNanos = averageCommitTimeNanos == 0 ? commitTimeNanos : (commitTimeNanos + 3 * averageCommitTimeNanos) / 4;
        return averageCommitTimeNanos;
    }

    public synchronized long averageCommitTimeNanos() {
        return averageCommitTimeNanos;
    }

    public synchronized Snapshot snapshot() {
        return new Snapshot(tid, requested, wait, requestDelay, running, locked, flushing, logging, handleCount, blocks,
                blocksLogged, averageCommitTimeNanos);
    }

    /** Sums in jiffies (times) and counts. */
    public record Snapshot(long transactions, long requested, long waitTime, long requestDelay, long running, long locked,
                           long flushing, long logging, long handleCount, long blocks, long blocksLogged,
                           long averageCommitTimeNanos) {
    }
}
