package dev.ext4sim.writeback;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * ext4sim.writeback.* of application.yml.
 *
 * @param dirtyableMemory       the simulated machine's dirtyable memory, what the vm.dirty_*_ratio are a ratio of
 * @param dirtyBackgroundRatio  vm.dirty_background_ratio at start (and so on for the other vm.dirty_* values; a
 *                              non-zero *_bytes replaces its ratio, as writing it to /proc/sys does)
 * @param writepagesTimeout     deadline of each ext4_writepages call to ext4-service
 * @param dirtyInodesTimeout    deadline of the ext4_dirty_inodes call of a rebuild
 * @param filesystems           the filesystems whose dirty inodes are rebuilt from ext4 at start
 * @param rebuildRetry          how soon a rebuild that ext4 did not answer is tried again
 * @param resyncInterval        how often the lists are merged again with ext4's dirty inodes, which also picks up
 *                              a restarted ext4-service (0: only at start)
 */
@ConfigurationProperties("ext4sim.writeback")
public record WritebackProperties(DataSize dirtyableMemory, long dirtyBackgroundRatio, long dirtyBackgroundBytes,
                                  long dirtyRatio, long dirtyBytes, long dirtyWritebackCentisecs,
                                  long dirtyExpireCentisecs, long dirtytimeExpireSeconds, Duration writepagesTimeout,
                                  Duration dirtyInodesTimeout, List<String> filesystems, Duration rebuildRetry,
                                  Duration resyncInterval) {
    public WritebackProperties {
        filesystems = filesystems == null ? List.of() : List.copyOf(filesystems);
    }
}
