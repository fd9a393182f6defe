package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.ext4.Extent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * 6.x's dioread_nolock writeback: an extent delalloc allocated unwritten is converted to written only once its data is
 * on the device (page-io.c ext4_end_io_rsv_work → ext4_convert_unwritten_io_end_vec, extents.c
 * ext4_convert_unwritten_extents), in a worker of the ext4-rsv-conversion workqueue, under the handle its writepages
 * reserved. Until then the pages stay under writeback, so fsync's wait covers the conversion, and a crash before it
 * leaves the extent unwritten: it reads as zeros, never as stale blocks.
 */
final class ConvertUnwritten {
    /** The unbound kworker that runs ext4-rsv-conversion work. */
    static final Task RSV_CONVERSION_WORKER = new Task("kworker/u16:3", 90);
    static final Caller CONVERT_IO_END_VEC = new Caller("ext4_convert_unwritten_io_end_vec+0x2d/0x100", 5087);
    /** ext4_convert_unwritten_extents_endio's ext4_ext_dirty, inlined into ext4_ext_map_blocks. */
    static final Caller EXT_MAP_BLOCKS_MARK = new Caller("ext4_ext_map_blocks+0xcaa/0x1b50", 0);
    static final Caller CONVERT_MARK = new Caller("ext4_convert_unwritten_extents+0x190/0x260", 0);
    /** EXT4_GET_BLOCKS_IO_CONVERT_EXT | IO_SUBMIT, and EX_NOCACHE as 6.18's ext4_map_blocks passes it on. */
    static final int IO_CONVERT_FLAGS = Flags.GET_BLOCKS_CREATE | Flags.GET_BLOCKS_UNWRIT | Flags.GET_BLOCKS_CONVERT
            | Flags.GET_BLOCKS_IO_SUBMIT | Flags.GET_BLOCKS_EX_NOCACHE;
    /** EXT4_GET_BLOCKS_IO_CONVERT_EXT as 4.19 passes it (0x13, CREATE|UNWRIT|CONVERT). */
    static final int IO_CONVERT_EXT = Flags.GET_BLOCKS_CREATE | Flags.GET_BLOCKS_UNWRIT | Flags.GET_BLOCKS_CONVERT;

    /** An ext4_io_end whose bios completed: the unwritten range its pages were written to, and the reserved credits. */
    record IoEnd(Ext4InodeInfo ei, long lblk, int len, List<Long> pages, int rsvCredits, String traceId) {
    }

    private final Super sb;
    private final MapBlocks map;
    private final PageIo pageIo;
    /** The workqueue's pending work, in completion order. */
    private final Deque<IoEnd> completed = new ArrayDeque<>();

    ConvertUnwritten(Super sb, MapBlocks map, PageIo pageIo) {
        this.sb = sb;
        this.map = map;
        this.pageIo = pageIo;
    }

    /** ext4_end_bio → ext4_add_complete_io: the io_end queued for the conversion worker. */
    void ioCompleted(IoEnd io) {
        completed.add(io);
    }

    /**
     * folio_wait_writeback over pages [first, last] of {@code ei} (filemap_fdatawait in fsync): each page still under
     * writeback is waited for, which lets the queued conversions run.
     */
    void folioWaitWriteback(TraceContext ctx, Ext4InodeInfo ei, long first, long last) {
        for (IoEnd io : completed) {
            if (io.ei() != ei) {
                continue;
            }
            for (long index : io.pages()) {
                if (index >= first && index <= last) {
                    sb.trace.writeback(Ext4Trace.FOLIO_WAIT_WRITEBACK, ctx, (long) ei.ino, index);
                }
            }
        }
        endIoRsvWork();
    }

    /** ext4_end_io_rsv_work: every completed io_end converted, in the worker's task. */
    void endIoRsvWork() {
        while (!completed.isEmpty()) {
            endIo(completed.poll());
        }
    }

    /** ext4_end_io_end: the conversion, then the pages' writeback ends (whatever the conversion did). */
    private void endIo(IoEnd io) {
        TraceContext worker = new TraceContext(io.traceId(), RSV_CONVERSION_WORKER);
        TraceContext caller = sb.cache.context();
        sb.cache.context(worker);
        try {
            sb.crashPoints.accept(Ext4CrashPoints.END_IO_BEFORE_CONVERSION);
            Ext4Handle h = sb.journalStartReserved(worker, io.rsvCredits(), CONVERT_IO_END_VEC);
            try {
                convertUnwrittenExtents(worker, h, io.ei(), io.lblk(), io.len());
            } finally {
                sb.journalStop(h);
            }
        } finally {
            pageIo.endWriteback(worker, io.ei(), io.pages().size(), true, true);
            sb.cache.context(caller);
        }
    }

    /**
     * 4.x ext4_convert_unwritten_extents(NULL, ..) after a synchronous direct write, in the writer: no reserved handle,
     * so one MAP_BLOCKS handle of ext4_chunk_trans_blocks credits per extent converted.
     */
    void convertUnwrittenExtents(TraceContext ctx, Ext4InodeInfo ei, long lblk, int len) {
        long done = 0;
        while (done < len) {
            Ext4Handle h = sb.journalStart(ctx, null, Super.HT_MAP_BLOCKS, Writepages.credits(sb, ei),
                    Caller.CONVERT_UNWRITTEN, ei.ino);
            int n;
            try {
                n = mapConvert(ctx, h, ei, lblk + done, (int) (len - done), IO_CONVERT_EXT, Caller.EXT_DIRTY);
                sb.markInodeDirty(ctx, h, ei, Caller.CONVERT_UNWRITTEN_MARK, true);
            } finally {
                sb.journalStop(h);
            }
            if (n <= 0) {
                break;
            }
            done += n;
        }
    }

    /** ext4_convert_unwritten_extents: ext4_map_blocks with IO_CONVERT_EXT over the range, the inode marked each time. */
    private void convertUnwrittenExtents(TraceContext ctx, Ext4Handle h, Ext4InodeInfo ei, long lblk, int len) {
        long done = 0;
        while (done < len) {
            int n = mapConvert(ctx, h, ei, lblk + done, (int) (len - done), IO_CONVERT_FLAGS, EXT_MAP_BLOCKS_MARK);
            sb.markInodeDirty(ctx, h, ei, CONVERT_MARK, true);
            if (n <= 0) {
                break;
            }
            done += n;
        }
    }

    /**
     * ext4_map_blocks → ext4_ext_map_blocks → ext4_ext_handle_unwritten_extents with CONVERT: the unwritten extent at
     * {@code lblk} becomes written on disk, then in the status cache. Returns the blocks mapped.
     */
    private int mapConvert(TraceContext ctx, Ext4Handle h, Ext4InodeInfo ei, long lblk, int len, int flags, Caller extDirty) {
        map.esLookup(ctx, ei, lblk);
        sb.trace.ext4(sb.trace.extMapBlocksEnter(), ctx, (long) ei.ino, lblk, len, flags);
        List<Extent> extents = new ArrayList<>(sb.fs.extents().extents(ei.raw));
        Extent shown = MapBlocks.pathExtent(extents, lblk);
        if (shown != null) {
            sb.trace.ext4(Ext4Trace.EXT_SHOW_EXTENT, ctx, (long) ei.ino, shown.pblk(), shown.lblk(), (long) shown.len());
        }
        Extent ex = extents.stream().filter(e -> e.contains(lblk)).findFirst().orElse(null);
        if (ex == null) {
            // truncated meanwhile: nothing left to convert
            sb.trace.ext4(sb.trace.extMapBlocksExit(), ctx, (long) ei.ino, flags, 0L, lblk, 0L, 0, 0);
            return 0;
        }
        int n = (int) Math.min(len, ex.endLblk() - lblk);
        long pblk = ex.map(lblk);
        if (ex.unwritten()) {
            sb.trace.ext4(sb.trace.extHandleUnwrittenExtents(), ctx, (long) ei.ino, lblk, pblk, (long) n,
                    flags | Flags.GET_BLOCKS_METADATA_NOFAIL, (int) (ex.endLblk() - lblk), pblk);
            sb.fs.extents().markWritten(ei.raw, lblk, n);
            sb.markInodeDirty(ctx, h, ei, extDirty, true);
        }
        sb.trace.ext4(sb.trace.extMapBlocksExit(), ctx, (long) ei.ino, flags, pblk, lblk, (long) n, Flags.MAP_MAPPED, n);
        map.esInsert(ctx, ei, lblk, n, pblk, Flags.ES_WRITTEN);
        return n;
    }
}
