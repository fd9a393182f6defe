package dev.ext4sim.vfs.fs;

import dev.ext4sim.bus.trace.TraceContext;

/**
 * The writeback side of sync(2): wakeup_flusher_threads and sync_inodes_sb, which queue WB_SYNC_ALL work on the
 * device's bdi_writeback and wait for it. writeback-service implements it over the bus.
 */
@FunctionalInterface
public interface Flusher {
    void syncInodes(String dev, TraceContext ctx);
}
