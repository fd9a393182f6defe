package dev.ext4sim.writeback.wb;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;

/**
 * The block device inode's page cache, which jbd2-service owns: a commit exposes its metadata buffers there
 * (mark_buffer_dirty), and the flusher writes them back like any dirty inode's pages. {@code blkdev_writepages}
 * runs in the kworker's task ({@code ctx}), so the bios are traced as the flusher's. A failure is an
 * {@link ErrnoException}: the inode stays dirty for a later pass.
 */
@FunctionalInterface
public interface BdevPort {
    /** Without a journal service: the inode is gone (ENOENT), and writeback forgets it. */
    BdevPort NONE = (dev, wbc, ctx) -> {
        throw new ErrnoException(Errno.ENOENT, "no service owns the block device inode of " + dev);
    };

    /** do_writepages → blkdev_writepages of the block device inode of partition {@code dev}. */
    Ext4Port.Written writepages(int dev, WritebackControl wbc, TraceContext ctx);
}
