package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import java.util.Arrays;

/**
 * Reads through the page cache (generic_file_read_iter with ext4_readpages): cached pages are served as they are,
 * missing ones are read from their blocks in runs of consecutive blocks and kept; holes read as zeros.
 */
final class FileRead {
    /** One read call carries at most this many blocks (1 MiB, the block layer's request size). */
    private static final int MAX_RUN = 256;
    private final Super sb;

    FileRead(Super sb) {
        this.sb = sb;
    }

    /**
     * The physical block of {@code lblk} if it is allocated and written, else -1 (hole, delayed, unwritten); a block
     * found in the extent tree is cached in the status tree.
     */
    long physical(Ext4InodeInfo ei, long lblk) {
        ExtentStatus.Es es = ei.es.lookup(lblk);
        if (es != null) {
            return es.written() ? es.pblk() + (lblk - es.lblk()) : -1;
        }
        for (var e : sb.fs.extents().extents(ei.raw)) {
            if (e.contains(lblk)) {
                if (e.unwritten()) {
                    return -1;
                }
                // what ext4_map_blocks would leave in the status tree, so that later lookups (and writeback) find it
                ei.es.insert(e.lblk(), e.len(), e.pblk(), Flags.ES_WRITTEN);
                return e.map(lblk);
            }
        }
        return -1;
    }

    /**
     * b_blocknr of page {@code lblk}'s buffer as get_block mapped it: the block of a written or unwritten extent,
     * {@link BufferHeads#INVALID_BLOCK} for a delayed one, -1 for a hole (the buffer is not mapped).
     */
    long bufferBlock(Ext4InodeInfo ei, long lblk) {
        ExtentStatus.Es es = ei.es.lookup(lblk);
        if (es != null && es.delayed()) {
            return BufferHeads.INVALID_BLOCK;
        }
        if (es != null && !es.hole()) {
            return es.pblk() + (lblk - es.lblk());
        }
        if (es == null) {
            for (var e : sb.fs.extents().extents(ei.raw)) {
                if (e.contains(lblk)) {
                    return e.map(lblk);
                }
            }
        }
        return -1;
    }

    /** __block_write_begin's read of a partly written page that is not cached: its block's bytes, or zeros. */
    void fillPage(TraceContext ctx, Ext4InodeInfo ei, PageCache.Page page, long pos, int len) {
        if (len == PageCache.PAGE_SIZE || ((long) page.index << PageCache.PAGE_SHIFT) >= ei.size) {
            return;
        }
        long pblk = physical(ei, page.index);
        if (pblk >= 0) {
            byte[] b = sb.block.read(ctx, pblk, 1);
            System.arraycopy(b, 0, page.data, 0, PageCache.PAGE_SIZE);
            zeroBeyondEof(ei, page);
        }
    }

    /** A page straddling i_size holds zeros past it (what block_write_full_page and truncate keep true). */
    static void zeroBeyondEof(Ext4InodeInfo ei, PageCache.Page page) {
        long start = page.index << PageCache.PAGE_SHIFT;
        if (ei.size < start + PageCache.PAGE_SIZE) {
            int from = (int) Math.max(0, ei.size - start);
            Arrays.fill(page.data, from, PageCache.PAGE_SIZE, (byte) 0);
        }
    }

    byte[] read(TraceContext ctx, Ext4InodeInfo ei, long offset, int len) {
        if (ei.isDir()) {
            throw new ErrnoException(Errno.EISDIR, "inode " + ei.ino + " is a directory; use getdents");
        }
        if (offset < 0 || len < 0) {
            throw new ErrnoException(Errno.EINVAL, "read of " + len + " bytes at offset " + offset);
        }
        if (offset >= ei.size || len == 0) {
            return new byte[0];
        }
        int n = (int) Math.min(len, ei.size - offset);
        byte[] out = new byte[n];
        long first = offset >>> PageCache.PAGE_SHIFT;
        long last = (offset + n - 1) >>> PageCache.PAGE_SHIFT;
        long idx = first;
        while (idx <= last) {
            PageCache.Page page = ei.pages.find(idx);
            if (page == null) {
                long pblk = physical(ei, idx);
                if (pblk < 0) {
                    idx++; // a hole: zeros, nothing cached
                    continue;
                }
                int run = 1;
                while (idx + run <= last && run < MAX_RUN && ei.pages.find(idx + run) == null && physical(ei, idx + run) == pblk + run) {
                    run++;
                }
                byte[] blocks = sb.block.read(ctx, pblk, run);
                for (int i = 0; i < run; i++) {
                    PageCache.Page p = ei.pages.grab(idx + i);
                    System.arraycopy(blocks, i * PageCache.PAGE_SIZE, p.data, 0, PageCache.PAGE_SIZE);
                    p.mapped = true;
                    zeroBeyondEof(ei, p);
                    copyOut(p, offset, out);
                }
                idx += run;
                continue;
            }
            copyOut(page, offset, out);
            idx++;
        }
        return out;
    }

    private static void copyOut(PageCache.Page p, long offset, byte[] out) {
        long start = p.index << PageCache.PAGE_SHIFT;
        long from = Math.max(start, offset);
        long to = Math.min(start + PageCache.PAGE_SIZE, offset + out.length);
        if (to > from) {
            System.arraycopy(p.data, (int) (from - start), out, (int) (from - offset), (int) (to - from));
        }
    }
}
