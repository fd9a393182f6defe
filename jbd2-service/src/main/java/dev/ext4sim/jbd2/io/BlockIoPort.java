package dev.ext4sim.jbd2.io;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.block.BlockIo;

/**
 * submit_bio as jbd2 sees it: one {@link BlockIo.Submit} under one plug, answered once every bio completed. The
 * bus (blk_submit to blockdev-service) in the service, a device in memory in tests. Throws the call's
 * {@link dev.ext4sim.bus.ErrnoException} (EIO, ETIMEDOUT) on failure.
 */
@FunctionalInterface
public interface BlockIoPort {
    BlockIo.Completion submit(BlockIo.Submit submit);

    /** The same, issued by another task than the journal's ({@code ctx}: the flusher writing the bdev inode). */
    default BlockIo.Completion submit(BlockIo.Submit submit, TraceContext ctx) {
        return submit(submit);
    }

    /** The device's power-on this port knows (BlockIo.Completion#powerOn), 0 if it does not tell. */
    default long powerOn() {
        return 0;
    }
}
