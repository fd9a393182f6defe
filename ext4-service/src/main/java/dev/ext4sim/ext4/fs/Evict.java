package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.ext4.ExtentNode;

/**
 * ext4_evict_inode for an inode whose last link and last open file are gone: truncate to zero, then ext4_free_inode
 * (bitmap bit and group counts) with the slot left as the kernel leaves it (dtime set, no links, no blocks). The
 * inode is on the orphan list (ext4_unlink put it there, or the mount's ext4_orphan_cleanup found it unlinked) and
 * leaves it in the freeing handle.
 */
final class Evict {
    private final Super sb;
    private final Truncate truncate;
    private final Orphan orphans;

    Evict(Super sb, Truncate truncate, Orphan orphans) {
        this.sb = sb;
        this.truncate = truncate;
        this.orphans = orphans;
    }

    void evict(TraceContext ctx, Ext4InodeInfo ei) {
        if (ei.isReg()) {
            ei.size = 0;
            truncate.truncate(ctx, ei);
        }
        int orphanCredits = orphans.contains(ei) ? 2 : 0; // the superblock or the newer orphan's inode
        Ext4Handle h = sb.journalStart(ctx, null, Super.HT_TRUNCATE, 4 + sb.fs.geometry().gdtBlocks() + orphanCredits,
                Caller.EVICT_INODE, ei.ino);
        try {
            sb.trace.ext4(Ext4Trace.FREE_INODE, ctx, (long) ei.ino, ei.mode(), ei.raw.i_uid(), ei.raw.i_gid(), ei.raw.i_blocks());
            if (ei.isDir()) {
                for (var e : sb.fs.extents().extents(ei.raw)) {
                    sb.freeBlocks(ctx, h, e.pblk(), e.len());
                    for (long b = e.pblk(); b < e.pblk() + e.len(); b++) {
                        h.revoke(b);
                        sb.cache.forget(b);
                    }
                }
                sb.fs.extents().store(ei.raw, java.util.List.of());
            }
            sb.readInodeBitmap(ctx, sb.fs.geometry().groupOfInode(ei.ino)); // ext4_free_inode's ext4_read_inode_bitmap
            sb.fs.ialloc().freeInode(ei.ino, ei.isDir());
            // an orphan the mount is deleting: off the chain before i_dtime, its link, becomes the deletion time
            orphans.del(ctx, h, ei);
            ei.raw.i_dtime(sb.now());
            ei.raw.i_size(0);
            ei.raw.i_blocks(0);
            ei.raw.i_block(ExtentNode.leaf(4, 0, java.util.List.of()).toIBlock());
            sb.markInodeDirty(ctx, h, ei, Caller.EVICT_INODE, true);
        } finally {
            sb.journalStop(h);
        }
        sb.forgetInode(ei.ino);
        sb.writeback.inodeEvicted(ctx, ei.ino);
    }
}
