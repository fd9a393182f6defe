package dev.ext4sim.ext4.fs;

/** A jbd2_inode's dirty range for data=ordered: bytes [start, end] of inode {@code ino}. */
public record InodeRange(long ino, long start, long end) {
}
