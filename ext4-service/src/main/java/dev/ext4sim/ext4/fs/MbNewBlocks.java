package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.ext4.Allocation;
import dev.ext4sim.ondisk.ext4.AllocationRequest;
import dev.ext4sim.ondisk.ext4.Extent;
import dev.ext4sim.ondisk.ext4.Mballoc;
import dev.ext4sim.ondisk.ext4.NoSpaceException;

/**
 * ext4_mb_new_blocks for a file's data: ext4_request_blocks, the free-space check of a request that delalloc did not
 * reserve, the ondisk allocator (preallocations, search, the bitmap; it tells {@link MballocEvents} what it does),
 * the quota charge, ext4_allocate_blocks.
 */
final class MbNewBlocks {
    private static final int SECTORS_PER_BLOCK = PageCache.PAGE_SIZE / 512;

    private final Super sb;

    MbNewBlocks(Super sb) {
        this.sb = sb;
    }

    /** {@code left} and {@code right}: the extents beside {@code lblk} (ar->lleft/pleft, ar->lright/pright). */
    Mballoc.Run newBlocks(TraceContext ctx, Ext4InodeInfo ei, long lblk, int len, long goal, int mbFlags,
                          Extent left, Extent right) {
        long lleft = left == null ? 0 : left.endLblk() - 1;
        long pleft = left == null ? 0 : left.pblk() + left.len() - 1;
        long lright = right == null ? 0 : right.lblk();
        long pright = right == null ? 0 : right.pblk();
        sb.trace.ext4(Ext4Trace.REQUEST_BLOCKS, ctx, (long) ei.ino, mbFlags, len, lblk, goal, lleft, lright, pleft, pright);
        boolean delalloc = (mbFlags & Flags.MB_DELALLOC_RESERVED) != 0;
        if (!delalloc && !sb.hasFreeClusters(len, (mbFlags & Flags.MB_USE_RESERVED) != 0)) {
            throw new ErrnoException(Errno.ENOSPC, "no free blocks for " + len + " blocks of inode " + ei.ino);
        }
        AllocationRequest ar = new AllocationRequest(ei.ino, lblk, len, goal, mbFlags, lleft, pleft, lright, pright,
                // 6.x's ext4_mb_group_or_file denies a closed file only the inode preallocation (none is kept here),
                // not the locality group's
                ei.size, ei.writers > 0 || sb.trace.v6(), sb.trace.cpu(ctx));
        Allocation a;
        try {
            a = sb.allocating(() -> sb.fs.mballoc().newBlocks(ar));
        } catch (NoSpaceException e) {
            throw new ErrnoException(Errno.ENOSPC, "no free blocks for inode " + ei.ino + ": " + e.getMessage());
        }
        if (!delalloc) {
            ei.raw.i_blocks(ei.raw.i_blocks() + (long) a.len() * SECTORS_PER_BLOCK);
        }
        sb.trace.ext4(Ext4Trace.ALLOCATE_BLOCKS, ctx, (long) ei.ino, mbFlags, a.len(), a.block(), lblk, goal, lleft, lright, pleft, pright);
        return new Mballoc.Run(a.block(), a.len());
    }
}
