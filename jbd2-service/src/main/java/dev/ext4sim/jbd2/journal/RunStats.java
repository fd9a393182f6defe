package dev.ext4sim.jbd2.journal;

/**
 * {@code struct transaction_run_stats_s}: one commit's phases in jiffies and its sizes, as jbd2_run_stats and
 * /proc/fs/jbd2/&lt;dev&gt;/info report them (ondisk-jbd2.md §12).
 */
public record RunStats(int tid, long waitTime, long requestDelay, long running, long locked, long flushing, long logging,
                       long handleCount, long blocks, long blocksLogged, boolean requested, long commitTimeNanos) {
}
