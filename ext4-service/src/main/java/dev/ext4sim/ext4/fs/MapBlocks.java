package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.ext4.Extent;
import dev.ext4sim.ondisk.ext4.Geometry;
import dev.ext4sim.ondisk.ext4.NoSpaceException;
import java.util.List;

/**
 * Block mapping (inode.c ext4_map_blocks, extents.c ext4_ext_map_blocks) with the extent-status cache in front and
 * mballoc behind ({@link MbNewBlocks}).
 */
final class MapBlocks {
    /** EXT_MAX_BLOCKS: the hole after the last extent reaches this far. */
    static final long EXT_MAX_BLOCKS = 0xFFFFFFFFL;
    private static final int EXT4_FLEX_SIZE_DIR_ALLOC_SCHEME = 4;
    private static final int SECTORS_PER_BLOCK = PageCache.PAGE_SIZE / 512;

    /** struct ext4_map_blocks after the call: m_lblk, m_pblk, m_len, m_flags, and the return value. */
    record Map(long lblk, long pblk, int len, int mflags, int ret) {
        boolean mapped() {
            return (mflags & Flags.MAP_MAPPED) != 0;
        }
    }

    /** 6.x: the inode holds the extent root, ext4_ext_insert_extent marks it itself. */
    static final Caller EXT_INSERT_EXTENT_MARK = new Caller("ext4_ext_insert_extent+0x7cf/0x14b0", 0);

    private final Super sb;
    private final DaReserve reserve;
    private final MbNewBlocks mb;

    MapBlocks(Super sb, DaReserve reserve) {
        this.sb = sb;
        this.reserve = reserve;
        this.mb = new MbNewBlocks(sb);
    }

    /** ext4_es_lookup_extent with its enter/exit events. */
    ExtentStatus.Es esLookup(TraceContext ctx, Ext4InodeInfo ei, long lblk) {
        sb.trace.ext4(Ext4Trace.ES_LOOKUP_EXTENT_ENTER, ctx, (long) ei.ino, lblk);
        ExtentStatus.Es es = ei.es.lookup(lblk);
        if (es == null) {
            sb.trace.ext4(Ext4Trace.ES_LOOKUP_EXTENT_EXIT, ctx, (long) ei.ino, 0L, 0L, 0L, 0, 0);
        } else {
            // 5.5+ prints the referenced bit (R), copied before this hit sets it; 4.19's table has no letter for it
            int status = es.status() | (sb.trace.v6() && ei.es.referenced(es) ? Flags.ES_REFERENCED : 0);
            sb.trace.ext4(Ext4Trace.ES_LOOKUP_EXTENT_EXIT, ctx, (long) ei.ino, es.lblk(), es.len(), es.printedPblk(sb.trace.v6()), status, 1);
            ei.es.setReferenced(es);
        }
        return es;
    }

    /** ext4_es_insert_extent with its event. */
    void esInsert(TraceContext ctx, Ext4InodeInfo ei, long lblk, long len, long pblk, int status) {
        ei.es.insert(lblk, len, pblk, status);
        long printed = status == Flags.ES_DELAYED || status == Flags.ES_HOLE ? (sb.trace.v6() ? 0 : Flags.ES_PBLK_NONE) : pblk;
        if (status == Flags.ES_DELAYED && sb.trace.v6()) {
            // no bigalloc: no cluster was allocated before, at either end
            sb.trace.ext4(Ext4Trace.ES_INSERT_DELAYED_EXTENT, ctx, (long) ei.ino, lblk, len, printed, status, 0, 0);
            return;
        }
        sb.trace.ext4(Ext4Trace.ES_INSERT_EXTENT, ctx, (long) ei.ino, lblk, len, printed, status);
    }

    /** ext4_map_blocks: the status cache first, then the extent tree; with CREATE, allocation. */
    Map mapBlocks(TraceContext ctx, Ext4Handle h, Ext4InodeInfo ei, long lblk, int len, int flags) {
        boolean create = (flags & Flags.GET_BLOCKS_CREATE) != 0;
        ExtentStatus.Es es = esLookup(ctx, ei, lblk);
        if (es != null) {
            int n = (int) Math.min(len, es.end() - lblk);
            if (es.written()) {
                return new Map(lblk, es.pblk() + (lblk - es.lblk()), n, Flags.MAP_MAPPED, n);
            }
            if (!create) {
                return new Map(lblk, 0, n, 0, 0);
            }
            len = n;
        } else {
            Map found = extMapBlocks(ctx, h, ei, lblk, len, 0);
            // cached as what it is: an unwritten extent cached written would be read, and written over, unconverted
            boolean foundUnwritten = (found.mflags() & Flags.MAP_UNWRITTEN) != 0;
            if (found.ret() > 0) {
                esInsert(ctx, ei, lblk, found.len(), found.pblk(), foundUnwritten ? Flags.ES_UNWRITTEN : Flags.ES_WRITTEN);
                if (!foundUnwritten || !create) {
                    return found;
                }
            }
            if (!create) {
                return found;
            }
            len = found.len();
        }
        Map m = extMapBlocks(ctx, h, ei, lblk, len, flags);
        if (sb.trace.v6()) {
            return mapCreated6x(ctx, h, ei, m, flags);
        }
        if ((m.mflags() & Flags.MAP_UNWRITTEN) != 0) {
            return mapCreatedUnwritten(ctx, ei, m, flags);
        }
        esInsert(ctx, ei, lblk, m.len(), m.pblk(), Flags.ES_WRITTEN);
        if ((m.mflags() & Flags.MAP_NEW) != 0 && sb.shouldOrderData(ei)) {
            // data=ordered: this transaction may commit only once these blocks hold their data (ext4_jbd2_inode_add_write);
            // a directory's blocks are metadata, and data=writeback orders nothing (ext4_should_order_data)
            h.inodeRangedWrite(ei.ino, m.lblk() << PageCache.PAGE_SHIFT, (long) m.len() << PageCache.PAGE_SHIFT);
        }
        return m;
    }

    /**
     * 4.x ext4_map_blocks after ext4_ext_map_blocks made an unwritten extent (a direct write's IO_CREATE_EXT): with
     * PRE_IO a traced status lookup first (an extent zeroed out to written is left alone), then the U insert. Not
     * ordered data: the blocks become readable only through the conversion after their I/O.
     */
    private Map mapCreatedUnwritten(TraceContext ctx, Ext4InodeInfo ei, Map m, int flags) {
        if ((flags & Flags.GET_BLOCKS_PRE_IO) != 0) {
            ExtentStatus.Es es = esLookup(ctx, ei, m.lblk());
            if (es != null && es.written()) {
                return m;
            }
        }
        esInsert(ctx, ei, m.lblk(), m.len(), m.pblk(), Flags.ES_UNWRITTEN);
        return m;
    }

    /**
     * 6.x ext4_map_create_blocks after ext4_ext_map_blocks: with PRE_IO a status lookup first (it finds the delayed
     * extent the lookup at ext4_map_blocks' start referenced), then the insert of the written or unwritten extent, which
     * hands the delayed blocks it replaces to ext4_da_update_reserve_space. An unwritten extent is not ordered data:
     * its conversion after the I/O is what exposes the blocks.
     */
    private Map mapCreated6x(TraceContext ctx, Ext4Handle h, Ext4InodeInfo ei, Map m, int flags) {
        if (m.ret() <= 0) {
            return m;
        }
        if ((flags & Flags.GET_BLOCKS_PRE_IO) != 0) {
            sb.trace.ext4(Ext4Trace.ES_LOOKUP_EXTENT_ENTER, ctx, (long) ei.ino, m.lblk());
            ExtentStatus.Es es = ei.es.lookup(m.lblk());
            if (es == null) {
                sb.trace.ext4(Ext4Trace.ES_LOOKUP_EXTENT_EXIT, ctx, (long) ei.ino, 0L, 0L, 0L, 0, 0);
            } else {
                sb.trace.ext4(Ext4Trace.ES_LOOKUP_EXTENT_EXIT, ctx, (long) ei.ino, es.lblk(), es.len(), es.printedPblk(true),
                        es.status() | Flags.ES_REFERENCED, 1);
                if (es.written()) {
                    return m;
                }
            }
        }
        boolean unwritten = (m.mflags() & Flags.MAP_UNWRITTEN) != 0;
        boolean allocated = (m.mflags() & Flags.MAP_NEW) != 0;
        esInsert(ctx, ei, m.lblk(), m.len(), m.pblk(), unwritten ? Flags.ES_UNWRITTEN : Flags.ES_WRITTEN);
        if (allocated && (flags & Flags.GET_BLOCKS_DELALLOC) != 0) {
            reserve.update(ctx, h, ei, m.len(), true);
        }
        if (allocated && !unwritten && sb.shouldOrderData(ei)) {
            h.inodeRangedWrite(ei.ino, m.lblk() << PageCache.PAGE_SHIFT, (long) m.len() << PageCache.PAGE_SHIFT);
        }
        return m;
    }

    /** ext4_ext_map_blocks: a lookup in the extent tree; a hole is cached, or with CREATE allocated and inserted. */
    /**
     * ext4_ext_handle_unwritten_extents for a buffered write's CREATE (no UNWRIT: not a direct write's PRE_IO) over an
     * unwritten extent, one a crash left before its conversion: ext4_ext_convert_to_initialized makes the range
     * written at once, and MAP_NEW puts it on data=ordered's list, so the commit that exposes it writes the pages first.
     */
    private Map convertToInitialized(TraceContext ctx, Ext4Handle h, Ext4InodeInfo ei, Extent e, long lblk, int n, int flags) {
        long pblk = e.map(lblk);
        sb.trace.ext4(sb.trace.extHandleUnwrittenExtents(), ctx, (long) ei.ino, lblk, pblk, (long) n,
                flags | Flags.GET_BLOCKS_METADATA_NOFAIL, (int) (e.endLblk() - lblk), pblk);
        sb.trace.ext4(Ext4Trace.EXT_CONVERT_TO_INITIALIZED_ENTER, ctx, (long) ei.ino, lblk, n, e.lblk(), e.len(), e.pblk());
        // the range at the extent's start, after an initialized extent it follows logically and physically: it grows
        Extent prev = sb.fs.extents().extents(ei.raw).stream()
                .filter(x -> x.endLblk() == e.lblk() && !x.unwritten() && x.pblk() + x.len() == e.pblk())
                .findFirst().orElse(null);
        if (prev != null && lblk == e.lblk()) {
            sb.trace.ext4(Ext4Trace.EXT_CONVERT_TO_INITIALIZED_FASTPATH, ctx, (long) ei.ino, lblk, n, e.lblk(), e.len(),
                    e.pblk(), prev.lblk(), prev.len(), prev.pblk());
        }
        sb.fs.extents().markWritten(ei.raw, lblk, n);
        sb.markInodeDirty(ctx, h, ei, sb.trace.v6() ? EXT_INSERT_EXTENT_MARK : Caller.EXT_DIRTY, true);
        return exit(ctx, ei, flags, new Map(lblk, pblk, n, Flags.MAP_NEW | Flags.MAP_MAPPED, n));
    }

    Map extMapBlocks(TraceContext ctx, Ext4Handle h, Ext4InodeInfo ei, long lblk, int len, int flags) {
        sb.trace.ext4(sb.trace.extMapBlocksEnter(), ctx, (long) ei.ino, lblk, len, flags);
        List<Extent> extents = sb.fs.extents().extents(ei.raw);
        if (sb.trace.v6() && (flags & Flags.GET_BLOCKS_EX_NOCACHE) == 0 && sb.fs.extents().root(ei.raw).header().depth() == 0) {
            cacheExtents(ctx, ei, extents);
        }
        Extent shown = pathExtent(extents, lblk);
        if (shown != null) {
            sb.trace.ext4(Ext4Trace.EXT_SHOW_EXTENT, ctx, (long) ei.ino, shown.pblk(), shown.lblk(), (long) shown.len());
        }
        Extent left = null;
        Extent right = null;
        for (Extent e : extents) {
            if (e.contains(lblk)) {
                int n = (int) Math.min(len, e.endLblk() - lblk);
                if (e.unwritten() && (flags & Flags.GET_BLOCKS_CREATE) != 0 && (flags & Flags.GET_BLOCKS_UNWRIT) == 0) {
                    return convertToInitialized(ctx, h, ei, e, lblk, n, flags);
                }
                int mflags = Flags.MAP_MAPPED | (e.unwritten() ? Flags.MAP_UNWRITTEN : 0);
                return exit(ctx, ei, flags, new Map(lblk, e.map(lblk), n, mflags, n));
            }
            if (e.endLblk() <= lblk) {
                left = e;
            } else if (right == null) {
                right = e;
            }
        }
        if ((flags & Flags.GET_BLOCKS_CREATE) == 0) {
            long holeStart;
            long holeLen;
            Extent ex = left != null ? left : right;
            if (ex == null) {
                holeStart = 0;
                holeLen = EXT_MAX_BLOCKS;
            } else if (lblk < ex.lblk()) {
                holeStart = lblk;
                holeLen = ex.lblk() - lblk;
            } else {
                holeStart = ex.endLblk();
                holeLen = (right != null ? right.lblk() : EXT_MAX_BLOCKS) - holeStart;
            }
            putGapInCache(ctx, ei, holeStart, holeLen);
            if (holeStart != lblk) {
                holeLen -= lblk - holeStart;
            }
            return exit(ctx, ei, flags, new Map(lblk, 0, (int) Math.min(len, holeLen), 0, 0));
        }
        long room = (right != null ? right.lblk() : EXT_MAX_BLOCKS) - lblk;
        boolean unwrit = (flags & Flags.GET_BLOCKS_UNWRIT) != 0;
        int want = (int) Math.min(Math.min(len, room), unwrit ? Extent.UNWRITTEN_MAX_LEN : Extent.INIT_MAX_LEN);
        boolean delalloc = (flags & Flags.GET_BLOCKS_DELALLOC) != 0;
        // no in-core preallocation for what is not a regular file
        int mbFlags = (ei.isReg() ? Flags.MB_HINT_DATA : 0) | (delalloc ? Flags.MB_DELALLOC_RESERVED : 0)
                | ((flags & Flags.GET_BLOCKS_METADATA_NOFAIL) != 0 ? Flags.MB_USE_RESERVED : 0);
        long goal = findGoal(ei, left, lblk);
        dev.ext4sim.ondisk.ext4.Mballoc.Run run = mb.newBlocks(ctx, ei, lblk, want, goal, mbFlags, left, right);
        try {
            sb.allocating(() -> {
                sb.fs.extents().insert(ei.raw, new Extent(lblk, run.len(), run.start(), unwrit));
                return null;
            });
        } catch (NoSpaceException e) {
            sb.fs.mballoc().freeBlocks(run.start(), run.len());
            if (!delalloc) {
                ei.raw.i_blocks(ei.raw.i_blocks() - (long) run.len() * SECTORS_PER_BLOCK);
            }
            throw new ErrnoException(Errno.ENOSPC, "no block left for the extent tree of inode " + ei.ino);
        }
        // ext4_ext_insert_extent → __ext4_ext_dirty: the root lives in the inode
        sb.markInodeDirty(ctx, h, ei, sb.trace.v6() ? EXT_INSERT_EXTENT_MARK : Caller.EXT_DIRTY, true);
        if (delalloc && !sb.trace.v6()) {
            reserve.getReservedClusterAlloc(ctx, ei, lblk, run.len());
            reserve.update(ctx, h, ei, run.len(), true);
        }
        h.marked(ei, true);
        int mflags = Flags.MAP_NEW | Flags.MAP_MAPPED | (unwrit ? Flags.MAP_UNWRITTEN : 0);
        return exit(ctx, ei, flags, new Map(lblk, run.start(), run.len(), mflags, run.len()));
    }

    /**
     * ext4_cache_extents (5.7+), as ext4_find_extent runs it on a tree held in i_block: each extent, and each gap
     * between two, offered to the status tree.
     */
    private void cacheExtents(TraceContext ctx, Ext4InodeInfo ei, List<Extent> extents) {
        long prev = 0;
        for (Extent e : extents) {
            if (prev != 0 && prev != e.lblk()) {
                sb.trace.ext4(Ext4Trace.ES_CACHE_EXTENT, ctx, (long) ei.ino, prev, e.lblk() - prev, 0L, Flags.ES_HOLE);
                ei.es.cache(prev, e.lblk() - prev, -1, Flags.ES_HOLE);
            }
            int status = e.unwritten() ? Flags.ES_UNWRITTEN : Flags.ES_WRITTEN;
            sb.trace.ext4(Ext4Trace.ES_CACHE_EXTENT, ctx, (long) ei.ino, e.lblk(), (long) e.len(), e.pblk(), status);
            ei.es.cache(e.lblk(), e.len(), e.pblk(), status);
            prev = e.endLblk();
        }
    }

    /**
     * The extent ext4_find_extent leaves in path[depth].p_ext (ext4_ext_binsearch): the last one starting at or
     * before {@code lblk}, else the first; null for an empty tree.
     */
    static Extent pathExtent(List<Extent> extents, long lblk) {
        Extent ex = null;
        for (Extent e : extents) {
            if (e.lblk() > lblk) {
                break;
            }
            ex = e;
        }
        return ex != null || extents.isEmpty() ? ex : extents.getFirst();
    }

    private Map exit(TraceContext ctx, Ext4InodeInfo ei, int flags, Map m) {
        sb.trace.ext4(sb.trace.extMapBlocksExit(), ctx, (long) ei.ino, flags, m.pblk(), m.lblk(), (long) m.len(), m.mflags(), m.ret());
        return m;
    }

    /** ext4_ext_put_gap_in_cache: cache the hole, except where a delayed extent already covers its start. */
    private void putGapInCache(TraceContext ctx, Ext4InodeInfo ei, long holeStart, long holeLen) {
        boolean v6 = sb.trace.v6();
        sb.trace.ext4(v6 ? Ext4Trace.ES_FIND_EXTENT_RANGE_ENTER : Ext4Trace.ES_FIND_DELAYED_EXTENT_RANGE_ENTER, ctx, (long) ei.ino, holeStart);
        var exit = v6 ? Ext4Trace.ES_FIND_EXTENT_RANGE_EXIT : Ext4Trace.ES_FIND_DELAYED_EXTENT_RANGE_EXIT;
        ExtentStatus.Es es = ei.es.findDelayed(holeStart, holeStart + holeLen - 1);
        if (es == null) {
            sb.trace.ext4(exit, ctx, (long) ei.ino, 0L, 0L, 0L, 0);
        } else {
            sb.trace.ext4(exit, ctx, (long) ei.ino, es.lblk(), es.len(), es.printedPblk(sb.trace.v6()), es.status());
            if (es.lblk() <= holeStart) {
                return;
            }
            holeLen = Math.min(es.lblk() - holeStart, holeLen);
        }
        esInsert(ctx, ei, holeStart, holeLen, -1, Flags.ES_HOLE);
    }

    /** ext4_ext_find_goal: continue the extent to the left, else ext4_inode_to_goal_block (delalloc: no colour). */
    private long findGoal(Ext4InodeInfo ei, Extent left, long lblk) {
        if (left != null) {
            return left.pblk() + (lblk - left.lblk());
        }
        Geometry geo = sb.fs.geometry();
        int group = geo.groupOfInode(ei.ino);
        var es = sb.fs.superBlock();
        int flexSize = es.hasFlexBg() ? 1 << es.s_log_groups_per_flex() : 1;
        if (flexSize >= EXT4_FLEX_SIZE_DIR_ALLOC_SCHEME) {
            // ext4_inode_to_goal_block: a flex group's first group is kept for directories, regular files start after it
            group &= ~(flexSize - 1);
            if (ei.raw.isReg()) {
                group++;
            }
        }
        // delalloc takes no colour; on a one-group filesystem this lies past the end, which ext4_request_blocks prints
        // as it is and ext4_mb_initialize_context turns into s_first_data_block
        return geo.groupFirstBlock(group);
    }
}
