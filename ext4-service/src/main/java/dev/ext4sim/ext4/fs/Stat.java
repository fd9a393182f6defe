package dev.ext4sim.ext4.fs;

/**
 * ext4_getattr: what stat(2) reports. {@code blocks} counts 512-byte sectors, delalloc reservations included (as
 * ext4_getattr adds them); times are seconds since the epoch.
 */
public record Stat(long ino, int mode, int nlink, int uid, int gid, long size, long blocks, long atime, long mtime,
                   long ctime) {
}
