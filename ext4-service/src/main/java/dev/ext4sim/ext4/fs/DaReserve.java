package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;

/**
 * Delalloc reservations (inode.c: ext4_da_reserve_space, ext4_da_update_reserve_space, ext4_da_release_space). A
 * reserved block is counted in s_dirtyclusters_counter until writeback allocates it, so that write() is the only place
 * that can fail with ENOSPC. Quota is reserved and claimed as i_blocks (no quota limits are simulated).
 */
final class DaReserve {
    private static final int SECTORS_PER_BLOCK = PageCache.PAGE_SIZE / 512;
    private final Super sb;

    DaReserve(Super sb) {
        this.sb = sb;
    }

    /** ext4_da_reserve_space: one block, or ENOSPC when it does not fit beside the reserves. */
    void reserve(TraceContext ctx, Ext4InodeInfo ei) {
        if (!sb.hasFreeClusters(1, false)) {
            throw new ErrnoException(Errno.ENOSPC, "no free block to reserve for a delayed write of inode " + ei.ino
                    + " (" + sb.freeClusters() + " free, " + sb.dirtyClusters + " reserved by delalloc)");
        }
        ei.reservedDataBlocks++;
        sb.dirtyClusters++;
        sb.trace.ext4(Ext4Trace.DA_RESERVE_SPACE, ctx, (long) ei.ino, ei.mode(), ei.raw.i_blocks(), ei.reservedDataBlocks, 0);
    }

    /** ext4_da_update_reserve_space: {@code used} delayed blocks got real ones; the quota claim moves them to i_blocks. */
    void update(TraceContext ctx, Ext4InodeInfo ei, int used, boolean quotaClaim) {
        sb.trace.ext4(Ext4Trace.DA_UPDATE_RESERVE_SPACE, ctx, (long) ei.ino, ei.mode(), ei.raw.i_blocks(), used,
                ei.reservedDataBlocks, 0, 0, quotaClaim ? 1 : 0);
        int n = Math.min(used, ei.reservedDataBlocks);
        ei.reservedDataBlocks -= n;
        sb.dirtyClusters -= n;
        if (quotaClaim) {
            ei.raw.i_blocks(ei.raw.i_blocks() + (long) used * SECTORS_PER_BLOCK);
        }
    }

    /** ext4_da_release_space: delayed blocks dropped before allocation (truncate, unlink, failed write). */
    void release(TraceContext ctx, Ext4InodeInfo ei, int toFree) {
        if (toFree == 0) {
            return;
        }
        sb.trace.ext4(Ext4Trace.DA_RELEASE_SPACE, ctx, (long) ei.ino, ei.mode(), ei.raw.i_blocks(), toFree, ei.reservedDataBlocks, 0);
        int n = Math.min(toFree, ei.reservedDataBlocks);
        ei.reservedDataBlocks -= n;
        sb.dirtyClusters -= n;
    }
}
