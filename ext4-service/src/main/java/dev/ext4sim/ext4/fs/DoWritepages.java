package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.DataBio;
import dev.ext4sim.ext4.port.WritebackControl;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * ext4_do_writepages as 6.x runs it with dioread_nolock (the 6.x default): pages already mapped go out first without a
 * handle; then, while pages need mapping, one handle with credits reserved for the conversion maps a run of them
 * UNWRITTEN (ext4_map_blocks with CREATE|UNWRIT|DELALLOC|PRE_IO|METADATA_NOFAIL|IO_SUBMIT), starts the folios' writeback,
 * raises i_disksize and stops; then the bios go out. No handle is started once the range is scanned to its end. The
 * io_end of an unwritten run is converted when its I/O completed ({@link ConvertUnwritten}).
 */
final class DoWritepages {
    /** EXT4_MAP_DELAYED (BIT(BH_Delay), 1 << 8 since 5.8) in m_flags, printed as hex. */
    static final int MAP_DELAYED = 0x100;
    /** EXT4_META_TRANS_BLOCKS as 6.18 counts it: xattr blocks and, quota-capable, EXT4_MAXQUOTAS_TRANS_BLOCKS. */
    static final int META_TRANS_BLOCKS = 18;
    /** The credits reserved for the conversion, below the handle's own (18 for a tree in the inode, as 6.18 asks). */
    static final int RSV_BELOW_CREDITS = 2;
    static final int MAP_FLAGS = Flags.GET_BLOCKS_CREATE | Flags.GET_BLOCKS_UNWRIT | Flags.GET_BLOCKS_DELALLOC
            | Flags.GET_BLOCKS_PRE_IO | Flags.GET_BLOCKS_METADATA_NOFAIL | Flags.GET_BLOCKS_IO_SUBMIT | Flags.GET_BLOCKS_EX_NOCACHE;
    static final Caller DO_WRITEPAGES = new Caller("ext4_do_writepages+0x4a2/0xfa0", 2945);
    static final Caller DO_WRITEPAGES_MARK = new Caller("ext4_do_writepages+0xc53/0xfa0", 0);

    private final Super sb;
    private final MapBlocks map;
    private final Writepages writepages;
    private final PageIo pageIo;
    private final ConvertUnwritten conversion;

    DoWritepages(Super sb, MapBlocks map, Writepages writepages, PageIo pageIo, ConvertUnwritten conversion) {
        this.sb = sb;
        this.map = map;
        this.writepages = writepages;
        this.pageIo = pageIo;
        this.conversion = conversion;
    }

    /** ext4_chunk_trans_blocks(inode, MAX_WRITEPAGES_EXTENT_LEN): 4.x's count with 6.18's metadata blocks. */
    static int credits(Super sb, Ext4InodeInfo ei) {
        return Writepages.credits(sb, ei) - Writepages.META_TRANS_BLOCKS + META_TRANS_BLOCKS;
    }

    /**
     * ext4_do_writepages' blk_finish_plug, after its last ext4_da_write_folios_end and before
     * ext4_writepages_result: the bios of the call are unplugged and issued, unless the caller's plug holds them
     * ({@code wbc.plugged()}: the flusher's round).
     */
    void finishPlug(TraceContext ctx, WritebackControl wbc) {
        if (!wbc.plugged()) {
            sb.block.finishPlug(ctx);
        }
    }

    /** Returns {pages written, index after the last page written}. */
    long[] writeRange(TraceContext ctx, Ext4InodeInfo ei, WritebackControl wbc, long first, long last, long budget) {
        Set<DataBio.BioFlag> flags = wbc.syncMode() == WritebackControl.WB_SYNC_ALL ? EnumSet.of(DataBio.BioFlag.SYNC) : Set.of();
        long[] mapped = writeMapped(ctx, ei, first, last, budget, flags);
        long written = mapped[0];
        long after = mapped[1];
        long next = first;
        while (written < budget) {
            List<PageCache.Page> run = writepages.prepareExtentToMap(ei, next, last,
                    (int) Math.min(Writepages.MAX_WRITEPAGES_EXTENT_LEN, budget - written), true);
            if (run.isEmpty()) {
                break;
            }
            int needed = credits(sb, ei);
            Ext4Handle h = sb.journalStart(ctx, null, Super.HT_WRITE_PAGE, needed, needed - RSV_BELOW_CREDITS, DO_WRITEPAGES, ei.ino);
            long lblk = run.getFirst().index;
            MapBlocks.Map m;
            try {
                sb.trace.ext4(Ext4Trace.DA_WRITE_FOLIOS_START, ctx, (long) ei.ino, lblk << PageCache.PAGE_SHIFT,
                        (lblk + 1) << PageCache.PAGE_SHIFT, budget - written, wbc.syncMode());
                sb.trace.ext4(Ext4Trace.DA_WRITE_PAGES_EXTENT, ctx, (long) ei.ino, lblk, run.size(), MAP_DELAYED);
                m = map.mapBlocks(ctx, h, ei, lblk, run.size(), MAP_FLAGS);
                run = run.subList(0, m.len());
                // mpage_submit_folio: the folios go under writeback as they join the bio, before i_disksize moves
                pageIo.startWriteback(ctx, ei, run.size());
                long disksize = Math.min((lblk + m.len()) << PageCache.PAGE_SHIFT, ei.size);
                if (disksize > ei.disksize()) {
                    ei.disksize(disksize);
                    sb.markInodeDirty(ctx, h, ei, DO_WRITEPAGES_MARK, true);
                }
            } finally {
                sb.journalStop(h);
            }
            List<Long> blocks = new ArrayList<>();
            for (int i = 0; i < run.size(); i++) {
                blocks.add(m.pblk() + i);
            }
            boolean unwritten = (m.mflags() & Flags.MAP_UNWRITTEN) != 0;
            ioSubmit(ctx, ei, run, blocks, flags, !unwritten);
            sb.crashPoints.accept(Ext4CrashPoints.WRITEPAGES_AFTER_BIOS);
            written += run.size();
            next = run.getLast().index + 1;
            after = Math.max(after, next);
            sb.trace.ext4(Ext4Trace.DA_WRITE_FOLIOS_END, ctx, (long) ei.ino, next << PageCache.PAGE_SHIFT,
                    next << PageCache.PAGE_SHIFT, budget - written, 0);
            if (unwritten) {
                conversion.ioCompleted(new ConvertUnwritten.IoEnd(ei, lblk, run.size(),
                        run.stream().map(p -> p.index).toList(), needed - RSV_BELOW_CREDITS, ctx.traceId()));
            }
        }
        return new long[]{written, after};
    }

    /**
     * The first mpage_prepare_extent_to_map pass (do_map 0): dirty pages over written blocks, no handle. Returns
     * {pages written, index after the last one written, or first}.
     */
    private long[] writeMapped(TraceContext ctx, Ext4InodeInfo ei, long first, long last, long budget,
                               Set<DataBio.BioFlag> flags) {
        List<PageCache.Page> mapped = new ArrayList<>();
        List<Long> pblks = new ArrayList<>();
        for (PageCache.Page p : ei.pages.dirtyIn(first, last)) {
            if (mapped.size() >= budget) {
                break;
            }
            ExtentStatus.Es es = ei.es.lookup(p.index);
            if (es != null && es.written()) {
                mapped.add(p);
                pblks.add(es.pblk() + (p.index - es.lblk()));
            } else if (es == null) {
                long pblk = writepages.physical(ei, p.index);
                if (pblk >= 0) {
                    mapped.add(p);
                    pblks.add(pblk);
                }
            }
        }
        if (mapped.isEmpty()) {
            return new long[]{0, first};
        }
        pageIo.startWriteback(ctx, ei, mapped.size());
        ioSubmit(ctx, ei, mapped, pblks, flags, true);
        return new long[]{mapped.size(), mapped.getLast().index + 1};
    }

    /**
     * ext4_io_submit, waited for: the pages are clean once the device has them. {@code endWriteback}: their writeback
     * ends with the bio (ext4_end_bio); else it ends after the conversion. A failed write ends it at once, the pages
     * dirty again. The bios join the plug ext4_do_writepages holds to its end ({@link #finishPlug}), or the one the
     * flusher holds around its round, which makes ext4's a no-op.
     */
    private void ioSubmit(TraceContext ctx, Ext4InodeInfo ei, List<PageCache.Page> pages, List<Long> pblks,
                          Set<DataBio.BioFlag> flags, boolean endWriteback) {
        boolean written = false;
        try {
            sb.block.submit(ctx, Writepages.bios(ei, pages, pblks, flags), true);
            written = true;
        } finally {
            if (endWriteback || !written) {
                pageIo.endWriteback(ctx, ei, pages.size(), written, false);
            }
        }
        for (PageCache.Page p : pages) {
            ei.pages.clearDirty(p);
        }
    }
}
