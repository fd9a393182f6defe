package dev.ext4sim.jbd2;

import dev.ext4sim.jbd2.journal.JournalConfig;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * ext4sim.jbd2.* of application.yml: the journal's mount options and how long remote peers get.
 *
 * @param dev             the filesystem's partition (its journal is /proc/fs/jbd2/&lt;dev&gt;-8)
 * @param commitInterval  ext4's {@code commit=}
 * @param minBatchTime    ext4's {@code min_batch_time=}
 * @param maxBatchTime    ext4's {@code max_batch_time=} (0 turns sync-handle batching off)
 * @param checkpointAge   committed metadata older than this is checkpointed home
 * @param handleLease     an open remote handle not used for this long is stopped as at task exit
 * @param ioTimeout       deadline of each blk_submit to blockdev-service
 * @param orderedDataTimeout deadline of the data=ordered call to ext4-service in T_FLUSH
 * @param recoverAtStart  load (and recover) at once when the filesystem was left needing recovery
 */
@ConfigurationProperties("ext4sim.jbd2")
public record Jbd2Properties(String dev, Duration commitInterval, Duration minBatchTime, Duration maxBatchTime,
                             Duration checkpointAge, Duration handleLease, Duration ioTimeout,
                             Duration orderedDataTimeout, boolean recoverAtStart) {

    JournalConfig journalConfig() {
        JournalConfig d = JournalConfig.defaults();
        return new JournalConfig(dev + "-8", d.devT(), commitInterval, minBatchTime, maxBatchTime, checkpointAge,
                d.hz(), d.threadPid());
    }
}
