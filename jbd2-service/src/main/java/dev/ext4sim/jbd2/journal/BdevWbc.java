package dev.ext4sim.jbd2.journal;

/**
 * The flusher's writeback_control for the block device inode's pages: {@code nrToWrite} pages at most, in
 * {@code syncMode} (0 WB_SYNC_NONE, 1 WB_SYNC_ALL).
 */
public record BdevWbc(int syncMode, long nrToWrite, boolean forKupdate, boolean forBackground, boolean rangeCyclic,
                      long rangeStart, long rangeEnd) {
}
