package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;

/**
 * Delalloc reservations (inode.c: ext4_da_reserve_space, ext4_da_update_reserve_space, ext4_da_release_space;
 * extents.c: get_reserved_cluster_alloc). A
 * reserved block is counted in s_dirtyclusters_counter until writeback allocates it, so that write() is the only place
 * that can fail with ENOSPC. Quota is reserved and claimed as i_blocks (no quota limits are simulated).
 */
final class DaReserve {
    private static final int SECTORS_PER_BLOCK = PageCache.PAGE_SIZE / 512;
    private final Super sb;
    private final MarkInodeDirty dirty;

    DaReserve(Super sb, MarkInodeDirty dirty) {
        this.sb = sb;
        this.dirty = dirty;
    }

    /** ext4_da_reserve_space: one block, or ENOSPC when it does not fit beside the reserves. */
    void reserve(TraceContext ctx, Ext4InodeInfo ei) {
        if (!sb.hasFreeClusters(1, false)) {
            throw new ErrnoException(Errno.ENOSPC, "no free block to reserve for a delayed write of inode " + ei.ino
                    + " (" + sb.freeClusters() + " free, " + sb.dirtyClusters + " reserved by delalloc)");
        }
        ei.reservedDataBlocks++;
        sb.dirtyClusters++;
        if (sb.trace.v6()) {
            sb.trace.ext4(Ext4Trace.DA_RESERVE_SPACE_6X, ctx, (long) ei.ino, ei.mode(), ei.raw.i_blocks(), 1, ei.reservedDataBlocks);
        } else {
            sb.trace.ext4(Ext4Trace.DA_RESERVE_SPACE, ctx, (long) ei.ino, ei.mode(), ei.raw.i_blocks(), ei.reservedDataBlocks, 0);
        }
    }

    /**
     * get_reserved_cluster_alloc: how many of the {@code len} blocks just allocated at {@code lblk} were reserved.
     * Without bigalloc a cluster is a block and each was, so no neighbouring delayed range is looked for.
     */
    int getReservedClusterAlloc(TraceContext ctx, Ext4InodeInfo ei, long lblk, int len) {
        sb.trace.ext4(Ext4Trace.GET_RESERVED_CLUSTER_ALLOC, ctx, (long) ei.ino, lblk, len);
        return len;
    }

    /**
     * ext4_da_update_reserve_space: {@code used} delayed blocks got real ones. The quota claim moves them to i_blocks
     * and dirties the inode (dquot_claim_block → mark_inode_dirty_sync), inside {@code h}, the handle the allocating
     * task holds; once nothing is reserved and no writer has the file open, the preallocations go.
     */
    void update(TraceContext ctx, Ext4Handle h, Ext4InodeInfo ei, int used, boolean quotaClaim) {
        sb.trace.ext4(Ext4Trace.DA_UPDATE_RESERVE_SPACE, ctx, (long) ei.ino, ei.mode(), ei.raw.i_blocks(), used,
                ei.reservedDataBlocks, 0, 0, quotaClaim ? 1 : 0);
        int n = Math.min(used, ei.reservedDataBlocks);
        ei.reservedDataBlocks -= n;
        sb.dirtyClusters -= n;
        if (quotaClaim) {
            ei.raw.i_blocks(ei.raw.i_blocks() + (long) used * SECTORS_PER_BLOCK);
            dirty.markInodeDirty(ctx, ei, Flags.I_DIRTY_SYNC, h);
        }
        if (ei.reservedDataBlocks == 0 && ei.writers == 0) {
            sb.discardPreallocations(ctx, ei);
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
