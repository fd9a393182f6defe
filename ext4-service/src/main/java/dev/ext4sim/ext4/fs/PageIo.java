package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.TraceContext;

/**
 * The writeback state of a file's pages as page-io.c drives it in 6.x: folio_start_writeback when a page joins a data
 * bio (the mapping's first one traces sb_mark_inode_writeback), folio_end_writeback when its I/O, and for an unwritten
 * extent its conversion, is done (the last one traces sb_clear_inode_writeback).
 */
final class PageIo {
    private final Super sb;

    PageIo(Super sb) {
        this.sb = sb;
    }

    /** __folio_start_writeback for {@code pages} pages of {@code ei}. */
    void startWriteback(TraceContext ctx, Ext4InodeInfo ei, int pages) {
        if (ei.writebackPages == 0) {
            sb.trace.ext4(Ext4Trace.SB_MARK_INODE_WRITEBACK, ctx, (long) ei.ino, ei.dirtiedWhen, ei.state, ei.mode());
        }
        ei.writebackPages += pages;
        sb.setPageWriteback(ctx, pages);
    }

    /**
     * __folio_end_writeback for {@code pages} pages: {@code written} false puts them back among the dirty ones.
     * {@code traced}: the ending task is one the simulation has (the conversion's worker); a plain bio's completion
     * runs in interrupt context, which it has not, so its sb_clear_inode_writeback is not emitted.
     */
    void endWriteback(TraceContext ctx, Ext4InodeInfo ei, int pages, boolean written, boolean traced) {
        ei.writebackPages = Math.max(0, ei.writebackPages - pages);
        sb.endPageWriteback(ctx, pages, written);
        if (ei.writebackPages == 0 && traced) {
            sb.trace.ext4(Ext4Trace.SB_CLEAR_INODE_WRITEBACK, ctx, (long) ei.ino, ei.dirtiedWhen, ei.state, ei.mode());
        }
    }
}
