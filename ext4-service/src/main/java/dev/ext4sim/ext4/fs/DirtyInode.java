package dev.ext4sim.ext4.fs;

/** One dirty inode for a restarted flusher: its number, i_state's dirty bits, dirtied_when (jiffies), dirty pages. */
public record DirtyInode(long ino, int state, long dirtiedWhen, long dirtyPages) {
}
