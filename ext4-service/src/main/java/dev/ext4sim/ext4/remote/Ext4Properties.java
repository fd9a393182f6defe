package dev.ext4sim.ext4.remote;

import dev.ext4sim.ext4.fs.MountOptions;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * ext4sim.ext4.*: the mounted device, the deadlines of calls to blockdev, jbd2 and writeback, the journal queue's
 * bound, the mount retry, the unmount deadline, the granularity of inode times,
 * how much file data the page cache keeps, and the mount options.
 */
@ConfigurationProperties("ext4sim.ext4")
public record Ext4Properties(String dev, Duration ioTimeout, Duration journalTimeout, Duration writebackTimeout,
                             int journalQueue, Duration journalLinger, Duration mountRetry, Duration unmountTimeout,
                             Duration timeGranularity, DataSize pageCacheSize, String mountOptions) {
    public Ext4Properties {
        dev = dev == null ? "sda1" : dev;
        ioTimeout = ioTimeout == null ? Duration.ofSeconds(10) : ioTimeout;
        journalTimeout = journalTimeout == null ? Duration.ofSeconds(10) : journalTimeout;
        writebackTimeout = writebackTimeout == null ? Duration.ofSeconds(5) : writebackTimeout;
        journalQueue = journalQueue <= 0 ? 1024 : journalQueue;
        journalLinger = journalLinger == null ? Duration.ofMillis(50) : journalLinger;
        mountRetry = mountRetry == null ? Duration.ofMillis(500) : mountRetry;
        unmountTimeout = unmountTimeout == null ? Duration.ofSeconds(10) : unmountTimeout;
        timeGranularity = timeGranularity == null ? Duration.ofMillis(4) : timeGranularity;
        pageCacheSize = pageCacheSize == null ? DataSize.ofMegabytes(64) : pageCacheSize;
        mountOptions = mountOptions == null ? "" : mountOptions.strip();
        // refused at start (EINVAL, naming what is supported), before anything is mounted
        MountOptions.parse(mountOptions);
    }

    /** ext4sim.ext4.mount-options, parsed: nodelalloc, data=writeback; empty for the defaults (delalloc, data=ordered). */
    public MountOptions parsedMountOptions() {
        return MountOptions.parse(mountOptions);
    }
}
