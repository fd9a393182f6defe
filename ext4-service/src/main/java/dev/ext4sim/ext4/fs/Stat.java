package dev.ext4sim.ext4.fs;

import dev.ext4sim.ondisk.ext4.Timespec;

/**
 * ext4_getattr: what stat(2) reports. {@code blocks} counts 512-byte sectors, delalloc reservations included (as
 * ext4_getattr adds them); times to the nanosecond, as the inode keeps them.
 */
public record Stat(long ino, int mode, int nlink, int uid, int gid, long size, long blocks, Timespec atime,
                   Timespec mtime, Timespec ctime) {
}
