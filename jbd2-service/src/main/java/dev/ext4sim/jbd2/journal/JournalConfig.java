package dev.ext4sim.jbd2.journal;

import java.time.Duration;

/**
 * The tunables of one journal ({@code journal_t} fields set by ext4's mount options).
 *
 * @param devName            j_devname, "sda1-8": names the commit thread {@code jbd2/sda1-8} and /proc/fs/jbd2/sda1-8
 * @param devT               the filesystem's dev_t (MKDEV(8, 1) = 8 << 20 | 1), printed as "dev 8,1"
 * @param commitInterval     j_commit_interval (ext4 {@code commit=}, default 5 s)
 * @param minBatchTime       j_min_batch_time (ext4 {@code min_batch_time=}, default 0)
 * @param maxBatchTime       j_max_batch_time (ext4 {@code max_batch_time=}, default 15 ms); zero turns batching off
 * @param checkpointAge      how long committed metadata may wait in the log before it is written home (the
 *                           metadata buffers' dirty expiry); the checkpoint also runs when log space runs low
 * @param hz                 jiffies per second, for the jiffies-based statistics (250)
 * @param threadPid          the pid of the commit thread in the trace
 */
public record JournalConfig(String devName, int devT, Duration commitInterval, Duration minBatchTime,
                            Duration maxBatchTime, Duration checkpointAge, int hz, int threadPid) {
    public static final int SDA1 = 8 << 20 | 1;

    public JournalConfig {
        if (commitInterval.isNegative() || commitInterval.isZero()) {
            throw new IllegalArgumentException("the commit interval must be positive, got " + commitInterval);
        }
        if (minBatchTime.compareTo(maxBatchTime) > 0 && !maxBatchTime.isZero()) {
            throw new IllegalArgumentException("min_batch_time " + minBatchTime + " exceeds max_batch_time " + maxBatchTime);
        }
        if (hz <= 0 || 1000 % hz != 0) {
            throw new IllegalArgumentException("HZ must divide 1000 (100, 250, 1000), got " + hz);
        }
    }

    public static JournalConfig defaults() {
        return new JournalConfig("sda1-8", SDA1, Duration.ofSeconds(5), Duration.ZERO, Duration.ofMillis(15),
                Duration.ofSeconds(30), 250, 578);
    }

    public JournalConfig withCommitInterval(Duration d) {
        return new JournalConfig(devName, devT, d, minBatchTime, maxBatchTime, checkpointAge, hz, threadPid);
    }

    public JournalConfig withBatchTime(Duration min, Duration max) {
        return new JournalConfig(devName, devT, commitInterval, min, max, checkpointAge, hz, threadPid);
    }

    public JournalConfig withCheckpointAge(Duration d) {
        return new JournalConfig(devName, devT, commitInterval, minBatchTime, maxBatchTime, d, hz, threadPid);
    }

    /** The commit thread's name: {@code jbd2/sda1-8}. */
    public String threadName() {
        return "jbd2/" + devName;
    }

    /** jiffies at {@code nanos} of the monotonic clock. */
    public long jiffies(long nanos) {
        return Math.floorDiv(nanos, 1_000_000_000L / hz);
    }

    /** jiffies_to_msecs. */
    public long jiffiesToMsecs(long jiffies) {
        return jiffies * (1000 / hz);
    }
}
