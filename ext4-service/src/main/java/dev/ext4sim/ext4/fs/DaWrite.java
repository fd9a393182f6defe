package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.ext4.Timespec;

/**
 * The buffered write path (mm/filemap.c generic_perform_write with inode.c's ext4_da_write_begin/_end, and
 * ext4_write_begin/_end once ext4_nonda_switch says the device is nearly full). Per page: start a handle, map the
 * block (reserve a delayed block, ENOSPC decided here and nowhere later), copy the bytes into the page cache, mark
 * the page and the inode dirty, stop the handle. No device I/O unless a partial page must be read first.
 */
final class DaWrite {
    private final Super sb;
    private final MapBlocks map;
    private final DaReserve reserve;
    private final MarkInodeDirty dirty;
    private final FileRead read;
    /**
     * 6.x: the tasks (pids) whose user buffer generic_perform_write has faulted in since the mount. A task's first
     * copy_folio_from_iter_atomic finds its buffer's page unmapped and copies nothing; afterwards the page stays mapped.
     */
    private final java.util.Set<Integer> faultedIn = new java.util.HashSet<>();

    DaWrite(Super sb, MapBlocks map, DaReserve reserve, MarkInodeDirty dirty, FileRead read) {
        this.sb = sb;
        this.map = map;
        this.reserve = reserve;
        this.dirty = dirty;
        this.read = read;
    }

    /** What one write did: bytes copied and pages newly dirtied (for balance_dirty_pages). */
    record Written(long bytes, int pagesDirtied) {
    }

    /**
     * __generic_file_write_iter's buffered part: file_update_time, then the page loop. A failure after some bytes
     * were copied makes a short write, as the kernel's; a failure before any fails the call.
     */
    Written performWrite(TraceContext ctx, Ext4InodeInfo ei, long pos, byte[] data, int off, int len) {
        fileUpdateTime(ctx, ei);
        return genericPerformWrite(ctx, ei, pos, data, off, len);
    }

    /** generic_perform_write: the page loop alone (an O_DIRECT write falling back to it updated the times already). */
    Written genericPerformWrite(TraceContext ctx, Ext4InodeInfo ei, long pos, byte[] data, int off, int len) {
        long written = 0;
        int dirtied = 0;
        while (written < len) {
            long p = pos + written;
            int offset = (int) (p & (PageCache.PAGE_SIZE - 1));
            int bytes = (int) Math.min(PageCache.PAGE_SIZE - offset, len - written);
            try {
                // nodelalloc mounts ext4_aops (data=journal ext4_journalled_aops), whose write_begin never asks
                // ext4_nonda_switch
                boolean newlyDirty = !sb.opts.delalloc() || sb.nondaSwitch()
                        ? writePage(ctx, ei, p, data, off + (int) written, bytes)
                        : sb.trace.v6() ? daWritePage6x(ctx, ei, p, data, off + (int) written, bytes)
                        : daWritePage(ctx, ei, p, data, off + (int) written, bytes);
                if (newlyDirty) {
                    dirtied++;
                }
            } catch (ErrnoException e) {
                if (written == 0) {
                    throw e;
                }
                break;
            }
            written += bytes;
        }
        return new Written(written, dirtied);
    }

    /**
     * file_update_time: mtime and ctime move on only when current_time moved, once a jiffy (inode_needs_update_time);
     * then mark_inode_dirty_sync, in a handle of its own.
     */
    void fileUpdateTime(TraceContext ctx, Ext4InodeInfo ei) {
        Timespec now = sb.currentTime();
        if (ei.raw.mtime().equals(now) && ei.raw.ctime().equals(now)) {
            return;
        }
        ei.raw.mtime(now);
        ei.raw.ctime(now);
        dirty.markInodeDirty(ctx, ei, Flags.I_DIRTY_SYNC, null);
    }

    /** ext4_da_write_begin, the copy, ext4_da_write_end; true when the page became dirty. */
    private boolean daWritePage(TraceContext ctx, Ext4InodeInfo ei, long pos, byte[] data, int off, int len) {
        sb.trace.ext4(Ext4Trace.DA_WRITE_BEGIN, ctx, (long) ei.ino, pos, len, 0);
        long index = pos >>> PageCache.PAGE_SHIFT;
        PageCache.Page existing = ei.pages.find(index);
        PageCache.Page page = ei.pages.grab(index);
        Ext4Handle h = sb.journalStart(ctx, null, Super.HT_WRITE_PAGE, 1, Caller.DA_WRITE_BEGIN, ei.ino);
        try {
            try {
                if (!page.mapped) {
                    daMapBlocks(ctx, ei, page, index);
                }
                if (existing == null) {
                    read.fillPage(ctx, ei, page, pos, len);
                }
            } catch (ErrnoException e) {
                if (existing == null) {
                    ei.pages.remove(page); // ext4_truncate_failed_write: the page never held data
                }
                throw e;
            }
            System.arraycopy(data, off, page.data, (int) (pos & (PageCache.PAGE_SIZE - 1)), len);
            return daWriteEnd(ctx, ei, h, page, pos, len);
        } finally {
            sb.journalStop(h);
        }
    }

    /**
     * ext4_da_map_blocks (ext4_da_get_block_prep): a cached hole or a miss in the extent tree becomes a delayed
     * block, reserved first; an allocated block is just mapped.
     */
    private void daMapBlocks(TraceContext ctx, Ext4InodeInfo ei, PageCache.Page page, long lblk) {
        ExtentStatus.Es es = map.esLookup(ctx, ei, lblk);
        if (es != null && !es.hole()) {
            page.mapped = true;
            return;
        }
        if (es == null) {
            MapBlocks.Map m = map.extMapBlocks(ctx, null, ei, lblk, 1, 0);
            if (m.ret() > 0) {
                map.esInsert(ctx, ei, lblk, m.len(), m.pblk(), esStatus(m));
                page.mapped = true;
                return;
            }
        }
        reserve.reserve(ctx, ei);
        map.esInsert(ctx, ei, lblk, 1, -1, Flags.ES_DELAYED);
        page.mapped = true;
    }

    /** The status ext4_map_blocks caches for what a lookup found: unwritten stays unwritten until converted. */
    private static int esStatus(MapBlocks.Map m) {
        return (m.mflags() & Flags.MAP_UNWRITTEN) != 0 ? Flags.ES_UNWRITTEN : Flags.ES_WRITTEN;
    }

    /**
     * 6.x's ext4_da_write_begin starts no handle. generic_perform_write copies with page faults disabled and faults
     * the source in only after a copy came up short: a task's first write (its buffer's page not yet mapped, as in
     * each of the 6.18 capture's writers) copies nothing the first time round, and write_begin/write_end run again.
     */
    private boolean daWritePage6x(TraceContext ctx, Ext4InodeInfo ei, long pos, byte[] data, int off, int len) {
        sb.trace.ext4(Ext4Trace.DA_WRITE_BEGIN_6X, ctx, (long) ei.ino, pos, len);
        long index = pos >>> PageCache.PAGE_SHIFT;
        PageCache.Page existing = ei.pages.find(index);
        PageCache.Page page = ei.pages.grab(index);
        boolean newBuffer = false;
        try {
            if (!page.mapped) {
                newBuffer = daMapBlocks6x(ctx, ei, index);
                page.mapped = true;
            }
            if (existing == null) {
                read.fillPage(ctx, ei, page, pos, len);
            }
        } catch (ErrnoException e) {
            if (existing == null) {
                ei.pages.remove(page); // ext4_truncate_failed_write: the page never held data
            }
            throw e;
        }
        boolean newlyDirty = false;
        if (faultedIn.add(ctx.task().pid())) {
            newlyDirty = daWriteEnd6x(ctx, ei, page, pos, len, 0, newBuffer);
            sb.trace.ext4(Ext4Trace.DA_WRITE_BEGIN_6X, ctx, (long) ei.ino, pos, len);
        }
        System.arraycopy(data, off, page.data, (int) (pos & (PageCache.PAGE_SIZE - 1)), len);
        return daWriteEnd6x(ctx, ei, page, pos, len, len, newBuffer) | newlyDirty;
    }

    /**
     * 6.x's ext4_da_map_blocks: a status-tree hit on a hole, or a miss the extent tree answers with a hole (cached
     * by ext4_ext_put_gap_in_cache), goes to add_delayed, which looks the status tree up again under i_data_sem
     * before ext4_insert_delayed_blocks reserves the block. True for a new delayed buffer (BH_New), false for a
     * block mapped already.
     */
    private boolean daMapBlocks6x(TraceContext ctx, Ext4InodeInfo ei, long lblk) {
        ExtentStatus.Es es = map.esLookup(ctx, ei, lblk);
        if (es != null && !es.hole()) {
            return false;
        }
        if (es == null) {
            MapBlocks.Map m = map.extMapBlocks(ctx, null, ei, lblk, 1, 0);
            if (m.ret() > 0) {
                map.esInsert(ctx, ei, lblk, m.len(), m.pblk(), esStatus(m));
                return false;
            }
        }
        ExtentStatus.Es again = map.esLookup(ctx, ei, lblk);
        if (again != null && !again.hole()) {
            return false;
        }
        reserve.reserve(ctx, ei);
        map.esInsert(ctx, ei, lblk, 1, -1, Flags.ES_DELAYED);
        return true;
    }

    /**
     * 6.x's ext4_da_write_end → ext4_da_do_write_end: block_write_end (a copy of 0 into a page not uptodate dirties
     * only a new buffer, zeroed by folio_zero_new_buffers), i_size without a mark; a handle only when i_disksize moves
     * (the last byte's block allocated, not delayed). True when the page became dirty.
     */
    private boolean daWriteEnd6x(TraceContext ctx, Ext4InodeInfo ei, PageCache.Page page, long pos, int len, int copied,
                                 boolean newBuffer) {
        sb.trace.ext4(Ext4Trace.DA_WRITE_END, ctx, (long) ei.ino, pos, len, copied);
        boolean newlyDirty = copied > 0 || newBuffer ? blockWriteEnd(ctx, ei, null, page) : false;
        long newSize = pos + copied;
        if (newSize > ei.size) {
            ei.size = newSize;
            ExtentStatus.Es es = ei.es.lookup((newSize - 1) >>> PageCache.PAGE_SHIFT);
            if (copied > 0 && newSize > ei.disksize() && es != null && es.written()) {
                ei.disksize(newSize);
                Ext4Handle h = sb.journalStart(ctx, null, Super.HT_INODE, 2, Caller.DA_DO_WRITE_END_6X, ei.ino);
                try {
                    sb.markInodeDirty(ctx, h, ei, Caller.DA_DO_WRITE_END_MARK_6X, true);
                } finally {
                    sb.journalStop(h);
                }
            }
        }
        return newlyDirty;
    }

    /** ext4_da_write_end → generic_write_end. */
    private boolean daWriteEnd(TraceContext ctx, Ext4InodeInfo ei, Ext4Handle h, PageCache.Page page, long pos, int copied) {
        sb.trace.ext4(Ext4Trace.DA_WRITE_END, ctx, (long) ei.ino, pos, copied, copied);
        long newSize = pos + copied;
        if (newSize > ei.disksize()) {
            // ext4_da_should_update_i_disksize: only when the last byte's block is allocated, not delayed
            ExtentStatus.Es es = ei.es.lookup((newSize - 1) >>> PageCache.PAGE_SHIFT);
            if (es != null && es.written()) {
                ei.disksize(newSize);
                sb.markInodeDirty(ctx, h, ei, Caller.DA_WRITE_END, true);
            }
        }
        return genericWriteEnd(ctx, ei, h, page, pos, copied);
    }

    /** generic_write_end: block_write_end, then i_size and mark_inode_dirty (→ ext4_dirty_inode). */
    private boolean genericWriteEnd(TraceContext ctx, Ext4InodeInfo ei, Ext4Handle h, PageCache.Page page, long pos, int copied) {
        boolean newlyDirty = blockWriteEnd(ctx, ei, h, page);
        if (pos + copied > ei.size) {
            ei.size = pos + copied;
            dirty.markInodeDirty(ctx, ei, Flags.I_DIRTY, h);
        }
        return newlyDirty;
    }

    /**
     * block_write_end → mark_buffer_dirty of the page's one buffer (traced every time) → for a clean buffer,
     * account_page_dirtied and __mark_inode_dirty(I_DIRTY_PAGES).
     */
    private boolean blockWriteEnd(TraceContext ctx, Ext4InodeInfo ei, Ext4Handle h, PageCache.Page page) {
        sb.buffers.markBufferDirty(ctx, read.bufferBlock(ei, page.index));
        boolean newlyDirty = !page.dirty;
        if (newlyDirty) {
            ei.pages.setDirty(page);
            sb.trace.writeback(sb.trace.v6() ? Ext4Trace.WB_DIRTY_FOLIO : Ext4Trace.WB_DIRTY_PAGE, ctx, (long) ei.ino, page.index);
            if (sb.trace.v6()) {
                sb.trace.trackForeignDirty(ctx, ei.ino);
            }
            sb.dirtyPagesChanged(ctx, 1);
            dirty.markInodeDirty(ctx, ei, Flags.I_DIRTY_PAGES, h);
        }
        return newlyDirty;
    }

    /**
     * ext4_write_begin/_end (a nodelalloc mount, or delalloc's fallback near a full device): the block is allocated at
     * once through ext4_get_block (CREATE) in write_begin's handle, which stays open until write_end, and i_disksize
     * follows i_size. Under data=ordered the new block joins the transaction's inode list, so its commit writes the page.
     * Under data=journal the page's buffer is logged in that handle instead (ext4_journalled_write_end), and the page
     * never goes dirty.
     */
    private boolean writePage(TraceContext ctx, Ext4InodeInfo ei, long pos, byte[] data, int off, int len) {
        if (sb.trace.v6()) {
            sb.trace.ext4(Ext4Trace.WRITE_BEGIN_6X, ctx, (long) ei.ino, pos, len);
        } else {
            sb.trace.ext4(Ext4Trace.WRITE_BEGIN, ctx, (long) ei.ino, pos, len, 0);
        }
        long index = pos >>> PageCache.PAGE_SHIFT;
        PageCache.Page existing = ei.pages.find(index);
        PageCache.Page page = ei.pages.grab(index);
        boolean journalData = sb.shouldJournalData(ei);
        // 4.19: ext4_writepage_trans_blocks + 1, the one more for the orphan list should the copy come up short;
        // ext4_writepage_trans_blocks counts the page's own block under data=journal
        int credits = Writepages.credits(sb, ei) + (sb.trace.v6() ? 0 : 1) + (journalData ? 1 : 0);
        Ext4Handle h = sb.journalStart(ctx, null, Super.HT_WRITE_PAGE, credits, Caller.WRITE_BEGIN, ei.ino);
        try {
            try {
                ExtentStatus.Es es = ei.es.lookup(index);
                if (!page.mapped || es == null || es.hole()) {
                    if (es == null || !es.delayed()) {
                        map.mapBlocks(ctx, h, ei, index, 1, Flags.GET_BLOCKS_CREATE);
                    }
                    page.mapped = true;
                }
                if (existing == null) {
                    read.fillPage(ctx, ei, page, pos, len);
                }
                if (journalData) {
                    h.dataWriteAccess(read.bufferBlock(ei, index)); // do_journal_get_write_access
                }
            } catch (ErrnoException e) {
                if (existing == null) {
                    ei.pages.remove(page);
                }
                throw e;
            }
            System.arraycopy(data, off, page.data, (int) (pos & (PageCache.PAGE_SIZE - 1)), len);
            if (journalData) {
                journalledWriteEnd(ctx, ei, h, page, pos, len);
                return false;
            }
            // ext4_write_end: block_write_end, then ext4_update_inode_size (i_size and i_disksize) and the mark
            sb.trace.ext4(Ext4Trace.WRITE_END, ctx, (long) ei.ino, pos, len, len);
            boolean newlyDirty = blockWriteEnd(ctx, ei, h, page);
            updateInodeSize(ctx, h, ei, pos + len, Caller.WRITE_END);
            return newlyDirty;
        } finally {
            sb.journalStop(h);
        }
    }

    /**
     * ext4_journalled_write_end: write_end_fn logs the page's buffer in the handle (no buffer or page goes dirty; the
     * commit writes the block into the journal, the checkpoint home), then ext4_update_inode_size, and i_datasync_tid
     * becomes the handle's transaction.
     */
    private void journalledWriteEnd(TraceContext ctx, Ext4InodeInfo ei, Ext4Handle h, PageCache.Page page, long pos, int copied) {
        sb.trace.ext4(Ext4Trace.JOURNALLED_WRITE_END, ctx, (long) ei.ino, pos, copied, copied);
        h.dirtyData(read.bufferBlock(ei, page.index), page.data);
        page.journaled = true;
        h.onStop(tid -> ei.datasyncTid = tid);
        updateInodeSize(ctx, h, ei, pos + copied, Caller.JOURNALLED_WRITE_END);
    }

    /** ext4_update_inode_size: i_size and i_disksize up to {@code newSize}; the inode is marked when either moved. */
    private void updateInodeSize(TraceContext ctx, Ext4Handle h, Ext4InodeInfo ei, long newSize, Caller caller) {
        if (newSize > ei.size) {
            ei.size = newSize;
            ei.disksize(Math.max(ei.disksize(), ei.size));
            sb.markInodeDirty(ctx, h, ei, caller, true);
        } else if (newSize > ei.disksize()) {
            ei.disksize(newSize);
            sb.markInodeDirty(ctx, h, ei, caller, true);
        }
    }

    static void checkWrite(Ext4InodeInfo ei, long pos, long len) {
        if (ei.isDir()) {
            throw new ErrnoException(Errno.EISDIR, "inode " + ei.ino + " is a directory");
        }
        if (pos < 0 || len < 0) {
            throw new ErrnoException(Errno.EINVAL, "write of " + len + " bytes at offset " + pos);
        }
        if (len > 0 && pos >= Super.MAX_BYTES) {
            throw new ErrnoException(Errno.EFBIG, "offset " + pos + " is at or past the largest file ext4 holds ("
                    + Super.MAX_BYTES + " bytes)");
        }
    }
}
