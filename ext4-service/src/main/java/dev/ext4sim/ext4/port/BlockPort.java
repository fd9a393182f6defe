package dev.ext4sim.ext4.port;

import dev.ext4sim.bus.trace.TraceContext;
import java.util.List;

/**
 * ext4's view of its block device (sda1, 8,1), in 4 KiB filesystem blocks. Reads serve metadata at mount and on a
 * buffer-cache miss and data for read(); data bios go straight to the device (metadata reaches home only through
 * jbd2's checkpoint). Every call returns once the device completed it; a failure is an ErrnoException (EIO).
 */
public interface BlockPort {
    int BLOCK_SIZE = 4096;

    /** Reads {@code count} consecutive blocks starting at {@code block}. */
    byte[] read(TraceContext ctx, long block, int count);

    /**
     * A metadata buffer's read as 6.x's ext4_read_bh submits it (REQ_META | REQ_PRIO, rwbs RM); by default the same
     * as {@link #read}.
     */
    default byte[] readMeta(TraceContext ctx, long block, int count) {
        return read(ctx, block, count);
    }

    /** Submits the bios under one plug, in order, and waits for all of them (ext4_io_submit + wait). */
    void submit(TraceContext ctx, List<DataBio> bios);

    /**
     * The same inside a plug the caller's task holds beyond this call ({@code plugged}: wb_writeback's), whose
     * finish the block layer traces as the requests' issue.
     */
    default void submit(TraceContext ctx, List<DataBio> bios, boolean plugged) {
        submit(ctx, bios);
    }

    /**
     * blk_finish_plug of the plug the caller's task held across its {@code plugged} submissions: the block layer
     * traces their unplug and issue now. Nothing when no submission was plugged.
     */
    default void finishPlug(TraceContext ctx) {
    }

    /** blkdev_issue_flush: an empty PREFLUSH write. */
    void flush(TraceContext ctx);
}
