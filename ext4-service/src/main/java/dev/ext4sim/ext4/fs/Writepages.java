package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.DataBio;
import dev.ext4sim.ext4.port.WritebackControl;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * ext4_writepages (inode.c, 4.x): pages whose blocks are already allocated go out first without a handle; then, one
 * handle per round, mpage_prepare_extent_to_map gathers a run of delayed dirty pages and mpage_map_and_submit_extent
 * allocates it (ext4_map_blocks with CREATE|DELALLOC|METADATA_NOFAIL|IO_SUBMIT), raises i_disksize and, after the handle stops,
 * submits the data bios. Runs in the caller's task: the flusher's kworker, or the writer in fsync.
 */
final class Writepages {
    /** MAX_WRITEPAGES_EXTENT_LEN: the longest run mapped in one round. */
    static final int MAX_WRITEPAGES_EXTENT_LEN = 2048;
    /** A bio carries at most 1 MiB. */
    static final int MAX_BIO_BLOCKS = 256;
    /**
     * mpage_map_one_extent's flags (4.19): CREATE|METADATA_NOFAIL|IO_SUBMIT, and DELALLOC_RESERVE for the delayed
     * blocks every run here holds (0x425, printed CREATE|DELALLOC|METADATA_NOFAIL|0x400; 4.4 had no IO_SUBMIT).
     */
    static final int MAP_FLAGS = Flags.GET_BLOCKS_CREATE | Flags.GET_BLOCKS_METADATA_NOFAIL | Flags.GET_BLOCKS_IO_SUBMIT
            | Flags.GET_BLOCKS_DELALLOC_RESERVE;
    /** The buffer state of a delayed block in m_flags (1 << BH_Delay before 5.8), printed as hex. */
    static final int BH_DELAY = 0x200;

    private final Super sb;
    private final MapBlocks map;
    private final FileRead read;
    private final DoWritepages doWritepages;
    private final ConvertUnwritten conversion;

    Writepages(Super sb, MapBlocks map, FileRead read) {
        this.sb = sb;
        this.map = map;
        this.read = read;
        PageIo pageIo = new PageIo(sb);
        this.conversion = new ConvertUnwritten(sb, map, pageIo);
        this.doWritepages = new DoWritepages(sb, map, this, pageIo, conversion);
    }

    /** EXT4_META_TRANS_BLOCKS without quota: EXT4_XATTR_TRANS_BLOCKS. */
    static final int META_TRANS_BLOCKS = 6;

    /**
     * Credits for one round, as 4.x computes them (ext4_da_writepages_trans_blocks → ext4_chunk_trans_blocks →
     * ext4_meta_trans_blocks for one extent): index blocks 2 per level (ext4_ext_index_trans_blocks), one bitmap per
     * group touched, their descriptor blocks, and EXT4_META_TRANS_BLOCKS. 8 for a file whose extents fit the inode.
     */
    static int credits(Super sb, Ext4InodeInfo ei) {
        int depth = sb.fs.extents().root(ei.raw).header().depth();
        int idxblocks = depth * 2;
        int groups = Math.min(idxblocks + 1, sb.fs.groupCount());
        int gdpblocks = Math.min(idxblocks + 1, sb.fs.geometry().gdtBlocks());
        return idxblocks + groups + gdpblocks + META_TRANS_BLOCKS;
    }

    /**
     * Returns the number of pages written; the I/O is done. What its completion does (6.x's conversion) is done too,
     * except for a WB_SYNC_NONE pass in 6.x: its bios wait in the submitter's plug (the flusher's, until its round ends),
     * so their conversion runs at {@link #endIoRsvWork}.
     */
    long writepages(TraceContext ctx, Ext4InodeInfo ei, WritebackControl wbc) {
        long written = writepagesNoWait(ctx, ei, wbc);
        if (!sb.trace.v6() || wbc.syncMode() != WritebackControl.WB_SYNC_NONE) {
            conversion.endIoRsvWork();
        }
        return written;
    }

    /** The end_io work of every completed bio: 6.x's conversions still queued. */
    void endIoRsvWork() {
        conversion.endIoRsvWork();
    }

    /** filemap_fdatawait_range after {@link #writepagesNoWait}: pages [first, last] no longer under writeback. */
    void waitWriteback(TraceContext ctx, Ext4InodeInfo ei, long first, long last) {
        conversion.folioWaitWriteback(ctx, ei, first, last);
    }

    /** do_writepages only: in 6.x an unwritten extent's pages stay under writeback until {@link #waitWriteback}. */
    long writepagesNoWait(TraceContext ctx, Ext4InodeInfo ei, WritebackControl wbc) {
        sb.trace.ext4(Ext4Trace.WRITEPAGES, ctx, (long) ei.ino, wbc.nrToWrite(), 0L, wbc.rangeStart(), wbc.rangeEnd(),
                wbc.syncMode(), wbc.forKupdate() ? 1 : 0, wbc.rangeCyclic() ? 1 : 0, ei.writebackIndex);
        long written = 0;
        if (ei.pages.dirtyPages() > 0) {
            List<long[]> ranges = new ArrayList<>();
            if (wbc.rangeCyclic()) {
                ranges.add(new long[]{ei.writebackIndex, Long.MAX_VALUE >>> PageCache.PAGE_SHIFT});
                if (ei.writebackIndex > 0) {
                    ranges.add(new long[]{0, ei.writebackIndex - 1});
                }
            } else {
                ranges.add(new long[]{wbc.rangeStart() >>> PageCache.PAGE_SHIFT, wbc.rangeEnd() >>> PageCache.PAGE_SHIFT});
            }
            long next = ei.writebackIndex;
            try {
                for (long[] r : ranges) {
                    long left = wbc.nrToWrite() - written;
                    if (left <= 0) {
                        break;
                    }
                    long[] done = sb.trace.v6() ? doWritepages.writeRange(ctx, ei, wbc, r[0], r[1], left)
                            : writeRange(ctx, ei, wbc, r[0], r[1], left);
                    written += done[0];
                    if (done[0] > 0) {
                        next = done[1];
                    }
                }
            } finally {
                if (sb.trace.v6()) {
                    doWritepages.finishPlug(ctx, wbc);
                }
            }
            if (wbc.rangeCyclic() || (wbc.rangeStart() == 0 && wbc.rangeEnd() == WritebackControl.LLONG_MAX)) {
                ei.writebackIndex = next;
            }
        }
        sb.trace.ext4(Ext4Trace.WRITEPAGES_RESULT, ctx, (long) ei.ino, 0, (int) written, 0L, wbc.syncMode(), ei.writebackIndex);
        return written;
    }

    /** Returns {pages written, index after the last page written}. */
    private long[] writeRange(TraceContext ctx, Ext4InodeInfo ei, WritebackControl wbc, long first, long last, long budget) {
        Set<DataBio.BioFlag> flags = wbc.syncMode() == WritebackControl.WB_SYNC_ALL ? EnumSet.of(DataBio.BioFlag.SYNC) : Set.of();
        long written = 0;
        long after = first;
        // Pages that need no mapping first: no transaction is started for them.
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
                // a page read from disk and rewritten: its buffer was mapped without a status lookup
                long pblk = read.physical(ei, p.index);
                if (pblk >= 0) {
                    mapped.add(p);
                    pblks.add(pblk);
                }
            }
        }
        if (!mapped.isEmpty()) {
            submit(ctx, ei, mapped, pblks, flags);
            written += mapped.size();
            after = mapped.getLast().index + 1;
        }
        long next = first;
        while (written < budget) {
            Ext4Handle h = sb.journalStart(ctx, null, Super.HT_WRITE_PAGE, credits(sb, ei), Caller.WRITEPAGES, ei.ino);
            List<PageCache.Page> run;
            MapBlocks.Map m;
            try {
                sb.trace.ext4(Ext4Trace.DA_WRITE_PAGES, ctx, (long) ei.ino, next, budget - written, wbc.syncMode());
                run = prepareExtentToMap(ei, next, last, (int) Math.min(MAX_WRITEPAGES_EXTENT_LEN, budget - written));
                if (run.isEmpty()) {
                    break;
                }
                long lblk = run.getFirst().index;
                sb.trace.ext4(Ext4Trace.DA_WRITE_PAGES_EXTENT, ctx, (long) ei.ino, lblk, run.size(), BH_DELAY);
                m = map.mapBlocks(ctx, h, ei, lblk, run.size(), MAP_FLAGS);
                run = run.subList(0, m.len());
                long disksize = Math.min((lblk + m.len()) << PageCache.PAGE_SHIFT, ei.size);
                if (disksize > ei.disksize()) {
                    ei.disksize(disksize);
                    sb.markInodeDirty(ctx, h, ei, Caller.WRITEPAGES_MARK, true);
                }
            } finally {
                sb.journalStop(h);
            }
            List<Long> blocks = new ArrayList<>();
            for (int i = 0; i < run.size(); i++) {
                blocks.add(m.pblk() + i);
            }
            submit(ctx, ei, run, blocks, flags);
            sb.crashPoints.accept(Ext4CrashPoints.WRITEPAGES_AFTER_BIOS);
            written += run.size();
            next = run.getLast().index + 1;
            after = Math.max(after, next);
        }
        return new long[]{written, after};
    }

    /**
     * mpage_prepare_extent_to_map: the first dirty page from {@code from} that needs mapping, and those right after it.
     * As mpage_add_bh_to_extent, a buffer that is delayed or unwritten (left so by a crash before its conversion) needs
     * it: its block is made written in the writepages handle.
     */
    private List<PageCache.Page> prepareExtentToMap(Ext4InodeInfo ei, long from, long last, int max) {
        return prepareExtentToMap(ei, from, last, max, true);
    }

    /** The same; {@code unwritten}: pages over an unwritten extent need mapping too (6.x, dioread_nolock). */
    List<PageCache.Page> prepareExtentToMap(Ext4InodeInfo ei, long from, long last, int max, boolean unwritten) {
        List<PageCache.Page> run = new ArrayList<>();
        for (PageCache.Page p : ei.pages.dirtyIn(from, last)) {
            ExtentStatus.Es es = ei.es.lookup(p.index);
            boolean delayed = es != null && (es.delayed() || unwritten && es.status() == Flags.ES_UNWRITTEN)
                    || unwritten && es == null && unwrittenOnDisk(ei, p.index);
            if (run.isEmpty()) {
                if (delayed) {
                    run.add(p);
                }
                continue;
            }
            if (!delayed || p.index != run.getLast().index + 1 || run.size() >= max) {
                break;
            }
            run.add(p);
        }
        return run;
    }

    /** The physical block of a written page not in the status cache, or -1. */
    long physical(Ext4InodeInfo ei, long lblk) {
        return read.physical(ei, lblk);
    }

    /** A block not in the status cache that the extent tree maps unwritten (left so by a crash before its conversion). */
    private boolean unwrittenOnDisk(Ext4InodeInfo ei, long lblk) {
        for (var e : sb.fs.extents().extents(ei.raw)) {
            if (e.contains(lblk)) {
                return e.unwritten();
            }
        }
        return false;
    }

    /** ext4_bio_write_page + ext4_io_submit: pages in bios of consecutive blocks, then clean once the device has them. */
    void submit(TraceContext ctx, Ext4InodeInfo ei, List<PageCache.Page> pages, List<Long> pblks, Set<DataBio.BioFlag> flags) {
        List<DataBio> bios = bios(ei, pages, pblks, flags);
        sb.setPageWriteback(ctx, pages.size());
        boolean written = false;
        try {
            sb.block.submit(ctx, bios);
            written = true;
        } finally {
            sb.endPageWriteback(ctx, pages.size(), written);
        }
        for (PageCache.Page p : pages) {
            ei.pages.clearDirty(p);
        }
    }

    /** The pages' data in bios of consecutive blocks (at most 1 MiB each), the tail beyond i_size zeroed. */
    static List<DataBio> bios(Ext4InodeInfo ei, List<PageCache.Page> pages, List<Long> pblks, Set<DataBio.BioFlag> flags) {
        List<DataBio> bios = new ArrayList<>();
        int i = 0;
        while (i < pages.size()) {
            int n = 1;
            while (i + n < pages.size() && n < MAX_BIO_BLOCKS && pblks.get(i + n) == pblks.get(i) + n) {
                n++;
            }
            byte[] data = new byte[n * PageCache.PAGE_SIZE];
            for (int k = 0; k < n; k++) {
                PageCache.Page p = pages.get(i + k);
                FileRead.zeroBeyondEof(ei, p);
                System.arraycopy(p.data, 0, data, k * PageCache.PAGE_SIZE, PageCache.PAGE_SIZE);
            }
            bios.add(new DataBio(pblks.get(i), data, flags));
            i += n;
        }
        return bios;
    }
}
