package dev.ext4sim.writeback.wb;

import dev.ext4sim.bus.trace.TraceContext;

/**
 * The block layer's side of the plug wb_writeback holds around its round (blk_start_plug … blk_finish_plug): the bios
 * the round's writepages submitted wait in the kworker's plug, and its finish issues them, in the kworker's task.
 */
@FunctionalInterface
public interface BlkPlug {
    /** Without a block device service: nothing was plugged. */
    BlkPlug NONE = (dev, ctx) -> {
    };

    /** blk_finish_plug in {@code ctx}'s task, for the disk of partition {@code dev}. */
    void blk_finish_plug(int dev, TraceContext ctx);
}
