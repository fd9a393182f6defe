package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.ext4.Extent;
import dev.ext4sim.ondisk.ext4.Geometry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Size changes (inode.c ext4_setattr's ATTR_SIZE path, ext4_truncate, extents.c ext4_ext_remove_space): a shrink
 * drops the page cache past the new end, zeroes the tail of the last page, gives back delayed reservations, forgets
 * the extent-status range and frees the blocks (freed tree blocks are revoked); a grow only moves i_size and
 * i_disksize. Freed blocks are free in the bitmap at once but not handed out until the freeing transaction commits
 * ({@link FreedData}), as the kernel's commit callback decides.
 */
final class Truncate {
    private static final int SECTORS_PER_BLOCK = PageCache.PAGE_SIZE / 512;
    private final Super sb;
    private final DaReserve reserve;
    private final MarkInodeDirty dirty;
    private final FileRead read;
    private final Orphan orphans;

    Truncate(Super sb, DaReserve reserve, MarkInodeDirty dirty, FileRead read, Orphan orphans) {
        this.sb = sb;
        this.reserve = reserve;
        this.dirty = dirty;
        this.read = read;
        this.orphans = orphans;
    }

    static void check(Ext4InodeInfo ei, long size) {
        if (ei.isDir()) {
            throw new ErrnoException(Errno.EISDIR, "inode " + ei.ino + " is a directory");
        }
        if (size < 0) {
            throw new ErrnoException(Errno.EINVAL, "negative size " + size);
        }
        if (size > Super.MAX_BYTES) {
            throw new ErrnoException(Errno.EFBIG, "size " + size + " is past the largest file ext4 holds (" + Super.MAX_BYTES + " bytes)");
        }
    }

    /** ext4_setattr(ATTR_SIZE | ATTR_MTIME | ATTR_CTIME). */
    void setSize(TraceContext ctx, Ext4InodeInfo ei, long size) {
        check(ei, size);
        boolean shrink = size < ei.size;
        Ext4Handle h = sb.journalStart(ctx, null, Super.HT_INODE, 3, Caller.SETATTR, ei.ino); // 4.x: the inode, and room for the orphan list
        try {
            if (shrink) {
                zeroPartialPage(ctx, ei, h, size);
            }
            ei.disksize(size);
            ei.raw.mtime(sb.currentTime());
            ei.raw.ctime(ei.raw.mtime());
            sb.markInodeDirty(ctx, h, ei, Caller.SETATTR_MARK, true);
            ei.size = size;
        } finally {
            sb.journalStop(h);
        }
        if (shrink) {
            truncate(ctx, ei);
        }
    }

    /** ext4_block_truncate_page: the bytes of the last block past the new end become zeros, on disk too. */
    private void zeroPartialPage(TraceContext ctx, Ext4InodeInfo ei, Ext4Handle h, long size) {
        int offset = (int) (size & (PageCache.PAGE_SIZE - 1));
        if (offset == 0) {
            return;
        }
        long index = size >>> PageCache.PAGE_SHIFT;
        PageCache.Page page = ei.pages.find(index);
        long pblk = read.physical(ei, index);
        if (page == null) {
            if (pblk < 0) {
                return;
            }
            page = ei.pages.grab(index);
            System.arraycopy(sb.block.read(ctx, pblk, 1), 0, page.data, 0, PageCache.PAGE_SIZE);
            page.mapped = true;
        }
        long blocknr = read.bufferBlock(ei, index);
        if (pblk >= 0 && sb.shouldJournalData(ei)) {
            // data=journal: the zeroed buffer is logged in the setattr handle, like any write of the file
            h.dataWriteAccess(pblk);
            java.util.Arrays.fill(page.data, offset, PageCache.PAGE_SIZE, (byte) 0);
            h.dirtyData(pblk, page.data);
            page.journaled = true;
            return;
        }
        java.util.Arrays.fill(page.data, offset, PageCache.PAGE_SIZE, (byte) 0);
        if (blocknr != -1) {
            // __ext4_block_zero_page_range dirties a mapped buffer, delayed or allocated, dirty already or not
            sb.buffers.markBufferDirty(ctx, blocknr);
        }
        if (pblk >= 0 && sb.shouldOrderData(ei)) {
            // data=ordered (ext4_jbd2_inode_add_write): the smaller i_size commits only once these zeros are home,
            // or a crash leaves the old bytes past EOF on disk for a later extension to expose
            h.inodeRangedWrite(ei.ino, index << PageCache.PAGE_SHIFT, PageCache.PAGE_SIZE);
        }
        if (pblk >= 0 && !page.dirty) {
            ei.pages.setDirty(page);
            sb.trace.writeback(sb.trace.v6() ? Ext4Trace.WB_DIRTY_FOLIO : Ext4Trace.WB_DIRTY_PAGE, ctx, (long) ei.ino, page.index);
            sb.dirtyPagesChanged(ctx, 1);
            dirty.markInodeDirty(ctx, ei, Flags.I_DIRTY_PAGES, h);
        }
    }

    /**
     * ext4_truncate: everything past i_size goes (pages, reservations, status cache, blocks). An inode on the orphan
     * list that keeps its links leaves it in the truncate's handle (out_stop's ext4_orphan_del): the list entry was
     * there so that these blocks would go, and they just did. An unlinked one stays listed for its eviction.
     */
    void truncate(TraceContext ctx, Ext4InodeInfo ei) {
        sb.trace.ext4(Ext4Trace.TRUNCATE_ENTER, ctx, (long) ei.ino, ei.raw.i_blocks());
        if (ei.size == 0) {
            // the replace-via-truncate pattern: allocate the new contents at close, not 30 s later
            ei.daAllocClose = true;
        }
        long firstGone = (ei.size + PageCache.PAGE_SIZE - 1) >>> PageCache.PAGE_SHIFT;
        sb.dirtyPagesChanged(ctx, -ei.pages.truncateFrom(firstGone));
        int delayed = 0;
        for (long l = firstGone; ; ) {
            ExtentStatus.Es es = ei.es.findDelayed(l, MapBlocks.EXT_MAX_BLOCKS);
            if (es == null) {
                break;
            }
            long from = Math.max(es.lblk(), firstGone);
            delayed += (int) (es.end() - from);
            l = es.end();
        }
        reserve.release(ctx, ei, delayed);
        long esLen = MapBlocks.EXT_MAX_BLOCKS - firstGone;
        if (esLen > 0) {
            sb.trace.ext4(Ext4Trace.ES_REMOVE_EXTENT, ctx, (long) ei.ino, firstGone, esLen);
            ei.es.remove(firstGone, esLen);
        }

        List<Extent> old = sb.fs.extents().extents(ei.raw);
        List<Extent> kept = new ArrayList<>();
        List<Extent> freed = new ArrayList<>();
        for (Extent e : old) {
            if (e.endLblk() <= firstGone) {
                kept.add(e);
            } else if (e.lblk() >= firstGone) {
                freed.add(e);
            } else {
                int keep = (int) (firstGone - e.lblk());
                kept.add(new Extent(e.lblk(), keep, e.pblk(), e.unwritten()));
                freed.add(new Extent(firstGone, e.len() - keep, e.pblk() + keep, e.unwritten()));
            }
        }
        boolean orphanDel = ei.nlink() > 0 && orphans.contains(ei);
        if (freed.isEmpty() && !orphanDel) {
            sb.trace.ext4(Ext4Trace.TRUNCATE_EXIT, ctx, (long) ei.ino, ei.raw.i_blocks());
            return;
        }
        List<Long> oldTree = sb.fs.extents().treeBlocks(ei.raw);
        Geometry geo = sb.fs.geometry();
        Set<Integer> groups = new HashSet<>();
        for (Extent e : freed) {
            for (long b = e.pblk(); b < e.pblk() + e.len(); b += geo.blocksPerGroup()) {
                groups.add(geo.groupOfBlock(b));
            }
            groups.add(geo.groupOfBlock(e.pblk() + e.len() - 1));
        }
        for (long b : oldTree) {
            groups.add(geo.groupOfBlock(b));
        }
        int credits = groups.size() + 2 * oldTree.size() + geo.gdtBlocks() + 4 + (orphanDel ? 2 : 0);
        Ext4Handle h = sb.journalStart(ctx, null, Super.HT_TRUNCATE, credits, Caller.TRUNCATE, ei.ino);
        try {
            long freedBlocks = 0;
            for (Extent e : freed) {
                sb.freeBlocks(ctx, h, e.pblk(), e.len());
                freedBlocks += e.len();
                if (sb.shouldJournalData(ei)) {
                    // ext4_remove_blocks' EXT4_FREE_BLOCKS_FORGET: ext4_forget of each block, which under data=journal
                    // forgets rather than revokes (every later use of the block is logged too)
                    for (long b = e.pblk(); b < e.pblk() + e.len(); b++) {
                        h.forget(b);
                    }
                }
            }
            if (!freed.isEmpty()) {
                ei.raw.i_blocks(ei.raw.i_blocks() - freedBlocks * SECTORS_PER_BLOCK);
                sb.fs.extents().store(ei.raw, kept);
                Set<Long> stillTree = new HashSet<>(sb.fs.extents().treeBlocks(ei.raw));
                for (long b : oldTree) {
                    if (!stillTree.contains(b)) {
                        h.revoke(b);
                        sb.cache.forget(b);
                        sb.freed.add(h, b, 1); // store() gave it back to the bitmap already
                    }
                }
            }
            if (orphanDel) {
                orphans.del(ctx, h, ei);
            }
            sb.markInodeDirty(ctx, h, ei, Caller.TRUNCATE_MARK, true);
        } finally {
            sb.journalStop(h);
        }
        sb.trace.ext4(Ext4Trace.TRUNCATE_EXIT, ctx, (long) ei.ino, ei.raw.i_blocks());
    }
}
