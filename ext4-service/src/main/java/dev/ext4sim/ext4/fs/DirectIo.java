package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.DataBio;
import dev.ext4sim.ext4.port.WritebackControl;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * A synchronous O_DIRECT write as 4.19 runs it (file.c ext4_file_write_iter, mm/filemap.c generic_file_direct_write,
 * inode.c ext4_direct_IO / ext4_direct_IO_write, fs/direct-io.c do_blockdev_direct_IO), without dioread_nolock, which
 * 4.x does not turn on by default. The data goes from the caller to the device in the writer's task; the page cache
 * only gets its range written back and dropped first, so that no cached copy is older than the device's.
 */
final class DirectIo {
    /** The logical block size of sda (a UFS device: 4096 bytes), which do_blockdev_direct_IO aligns to. */
    static final int LOGICAL_BLOCK = 4096;
    /** DIO_MAX_BLOCKS: the most one get_block call maps (ext4_get_block_trans). */
    static final int DIO_MAX_BLOCKS = 4096;
    /** EXT4_GET_BLOCKS_IO_CREATE_EXT (PRE_IO|CREATE_UNWRIT_EXT, 0x0b). */
    static final int IO_CREATE_EXT = Flags.GET_BLOCKS_PRE_IO | Flags.GET_BLOCKS_UNWRIT | Flags.GET_BLOCKS_CREATE;
    /** READ/WRITE as iov_iter_rw prints it. */
    private static final int WRITE = 1;
    /** -EIOCBQUEUED: what a direct write that left its completion to the end of its I/O returns. */
    static final int EIOCBQUEUED = -529;

    private final Super sb;
    private final MapBlocks map;
    private final Writepages writepages;
    private final DaWrite write;
    private final ConvertUnwritten conversion;
    private final Orphan orphans;
    private final Truncate truncate;
    private final DioWorkqueue dioWq;

    DirectIo(Super sb, MapBlocks map, Writepages writepages, DaWrite write, Orphan orphans, Truncate truncate) {
        this(sb, map, writepages, write, orphans, truncate, new DioWorkqueue());
    }

    DirectIo(Super sb, MapBlocks map, Writepages writepages, DaWrite write, Orphan orphans, Truncate truncate,
             DioWorkqueue dioWq) {
        this.dioWq = dioWq;
        this.truncate = truncate;
        this.sb = sb;
        this.map = map;
        this.writepages = writepages;
        this.write = write;
        this.orphans = orphans;
        this.conversion = new ConvertUnwritten(sb, map, new PageIo(sb));
    }

    /**
     * ext4_file_write_iter with IOCB_DIRECT: {@code data[0, len)} to the file at {@code pos}. Returns the bytes written. A misaligned offset or length is EINVAL before
     * anything changes (the kernel finds it in do_blockdev_direct_IO, after ext4_direct_IO_enter).
     */
    long write(TraceContext ctx, Ext4InodeInfo ei, long pos, byte[] data, int len) {
        return write(ctx, ei, pos, data, len, null);
    }

    /**
     * The same through {@code iocb}: a kiocb of io_submit when not null (is_sync_kiocb false), whose write inside
     * i_size returns EIOCBQUEUED once its bios are submitted, its completion left to the end of its I/O (see
     * {@link DioWorkqueue}). One that extends the file runs synchronously, as do_blockdev_direct_IO makes it.
     */
    long write(TraceContext ctx, Ext4InodeInfo ei, long pos, byte[] data, int len, DioWorkqueue.Kiocb iocb) {
        if ((pos | len) % LOGICAL_BLOCK != 0) {
            throw new ErrnoException(Errno.EINVAL, "O_DIRECT write of " + len + " bytes at offset " + pos
                    + ": offset and length must be multiples of the device's " + LOGICAL_BLOCK + "-byte logical block");
        }
        // asked for its trace only: the overwrite fast path needs dioread_nolock, off in 4.x
        overwriteIo(ctx, ei, pos, len);
        write.fileUpdateTime(ctx, ei);
        return genericFileDirectWrite(ctx, ei, pos, len, data, iocb);
    }

    /**
     * O_DIRECT where ext4_direct_IO returns 0 before any tracepoint (data=journal): generic_file_direct_write writes
     * the range back and tries to drop its pages, then __generic_file_write_iter falls back to generic_perform_write,
     * writes that range back and tries again (invalidate_mapping_pages). Nothing asks for alignment, since
     * do_blockdev_direct_IO never runs. A page jbd2 holds a buffer of stays cached. Returns the bytes written.
     */
    DaWrite.Written writeBuffered(TraceContext ctx, Ext4InodeInfo ei, long pos, byte[] data, int len) {
        overwriteIo(ctx, ei, pos, len); // ext4_file_write_iter asks whether it overwrites, as for any O_DIRECT
        write.fileUpdateTime(ctx, ei);
        writeAndInvalidate(ctx, ei, pos, pos + len - 1);
        DaWrite.Written w = write.genericPerformWrite(ctx, ei, pos, data, 0, len);
        if (w.bytes() > 0) {
            writeAndInvalidate(ctx, ei, pos, pos + w.bytes() - 1);
        }
        return w;
    }

    /**
     * filemap_write_and_wait_range, then an invalidation of the range: each cached page with buffers traces
     * ext4_releasepage; one whose buffer the journal holds is not released.
     */
    private void writeAndInvalidate(TraceContext ctx, Ext4InodeInfo ei, long start, long end) {
        if (ei.pages.size() > 0) {
            writepages.writepages(ctx, ei, WritebackControl.fsync(start, end));
        }
        for (PageCache.Page p : ei.pages.cachedIn(start >>> PageCache.PAGE_SHIFT, end >>> PageCache.PAGE_SHIFT)) {
            sb.trace.ext4(Ext4Trace.RELEASEPAGE, ctx, (long) ei.ino, p.index);
            if (!p.journaled) {
                ei.pages.remove(p);
            }
        }
    }

    /** ext4_overwrite_io: the whole range inside i_size and mapped to written blocks (a lookup, nothing allocated). */
    private boolean overwriteIo(TraceContext ctx, Ext4InodeInfo ei, long pos, int len) {
        if (pos + len > ei.size) {
            return false;
        }
        long first = pos >>> PageCache.PAGE_SHIFT;
        int blocks = (int) (((pos + len - 1) >>> PageCache.PAGE_SHIFT) - first + 1); // EXT4_MAX_BLOCKS
        MapBlocks.Map m = map.mapBlocks(ctx, null, ei, first, blocks, 0);
        return m.ret() == blocks && m.mapped();
    }

    /**
     * generic_file_direct_write: write back and wait for the cached range, drop its pages (each with buffers traces
     * ext4_releasepage), then the direct write.
     */
    private long genericFileDirectWrite(TraceContext ctx, Ext4InodeInfo ei, long pos, int len, byte[] data,
                                        DioWorkqueue.Kiocb iocb) {
        writeAndInvalidate(ctx, ei, pos, pos + len - 1);
        return directIo(ctx, ei, pos, len, data, iocb);
    }

    /** ext4_direct_IO for a write: extent files only (the simulation has no other), never journalled data. */
    private long directIo(TraceContext ctx, Ext4InodeInfo ei, long pos, int len, byte[] data, DioWorkqueue.Kiocb iocb) {
        sb.trace.ext4(Ext4Trace.DIRECT_IO_ENTER, ctx, (long) ei.ino, pos, (long) len, WRITE);
        long ret = 0;
        try {
            ret = directIoWrite(ctx, ei, pos, len, data, iocb);
            return ret;
        } catch (ErrnoException e) {
            ret = -e.errno().code();
            throw e;
        } finally {
            sb.trace.ext4(Ext4Trace.DIRECT_IO_EXIT, ctx, (long) ei.ino, pos, (long) len, WRITE, (int) ret);
        }
    }

    /**
     * ext4_direct_IO_write. An extending write puts the inode on the orphan list first, so that a crash before its
     * end leaves blocks past the on-disk size for the next mount to truncate; i_disksize moves only after the data is
     * on the device. Inside i_size, new blocks are unwritten until their data is written, then converted here.
     */
    private long directIoWrite(TraceContext ctx, Ext4InodeInfo ei, long pos, int len, byte[] data,
                               DioWorkqueue.Kiocb iocb) {
        long finalSize = pos + len;
        // do_blockdev_direct_IO's is_async: an AIO write past i_size waits for its I/O like a synchronous one
        boolean isAsync = iocb != null && finalSize <= ei.size;
        boolean orphan = false;
        if (finalSize > ei.size || finalSize > ei.disksize()) {
            Ext4Handle h = sb.journalStart(ctx, null, Super.HT_INODE, 2, Caller.DIRECT_IO_ORPHAN, ei.ino);
            try {
                orphans.add(ctx, h, ei);
                orphan = true;
                if (ei.size > ei.disksize()) {
                    ei.disksize(ei.size); // ext4_update_i_disksize(inode, i_size), only ever raising it
                }
            } finally {
                sb.journalStop(h);
            }
        }
        // get_block: ext4_dio_get_block (CREATE) from the block at or past i_size, else the unwritten variant
        long first = pos >>> PageCache.PAGE_SHIFT;
        boolean pastEof = (first << PageCache.PAGE_SHIFT) >= ei.size;
        int flags = pastEof ? Flags.GET_BLOCKS_CREATE : IO_CREATE_EXT;
        try {
            boolean dioUnwritten = blockdevDirectIo(ctx, ei, pos, len, data, flags);
            if (isAsync) {
                // dio_bio_end_aio: an io_end (unwritten blocks) defers the completion to the dio/<s_id> workqueue;
                // without one dio_complete runs in the bio's completion, and the iocb is complete at once
                dioWq.completed(new DioWorkqueue.Work(iocb, ei, pos, len, dioUnwritten, ctx.traceId()));
                if (orphan) {
                    extendDone(ctx, ei, pos, 0);
                }
                return EIOCBQUEUED;
            }
            sb.crashPoints.accept(Ext4CrashPoints.DIRECT_IO_AFTER_BIOS);
            if (dioUnwritten) {
                conversion.convertUnwrittenExtents(ctx, ei, first, len >>> PageCache.PAGE_SHIFT);
            }
        } catch (ErrnoException e) {
            if (finalSize > ei.size) {
                truncateFailedWrite(ctx, ei);
            }
            if (orphan) {
                extendDone(ctx, ei, pos, 0);
            }
            throw e;
        }
        if (orphan) {
            extendDone(ctx, ei, pos, len);
        }
        return len;
    }

    /**
     * do_blockdev_direct_IO for a synchronous write: get_block over the range (one MAP_BLOCKS handle per call, as
     * ext4_get_block_trans starts), then the data bios (REQ_SYNC|REQ_IDLE: rwbs WS) in the writer, waited for.
     * Returns whether any block was mapped unwritten (EXT4_STATE_DIO_UNWRITTEN).
     */
    private boolean blockdevDirectIo(TraceContext ctx, Ext4InodeInfo ei, long pos, int len, byte[] data, int flags) {
        long lblk = pos >>> PageCache.PAGE_SHIFT;
        int left = len >>> PageCache.PAGE_SHIFT;
        int off = 0;
        boolean unwritten = false;
        List<DataBio> bios = new ArrayList<>();
        while (left > 0) {
            MapBlocks.Map m = getBlockTrans(ctx, ei, lblk, Math.min(left, DIO_MAX_BLOCKS), flags);
            if (m.ret() <= 0) {
                throw new ErrnoException(Errno.EIO, "direct write: block " + lblk + " of inode " + ei.ino + " not mapped");
            }
            unwritten |= (m.mflags() & Flags.MAP_UNWRITTEN) != 0;
            for (int done = 0; done < m.len(); done += Writepages.MAX_BIO_BLOCKS) {
                int n = Math.min(Writepages.MAX_BIO_BLOCKS, m.len() - done);
                byte[] bytes = new byte[n * PageCache.PAGE_SIZE];
                System.arraycopy(data, off + done * PageCache.PAGE_SIZE, bytes, 0, bytes.length);
                bios.add(new DataBio(m.pblk() + done, bytes, EnumSet.of(DataBio.BioFlag.SYNC)));
            }
            lblk += m.len();
            left -= m.len();
            off += m.len() * PageCache.PAGE_SIZE;
        }
        sb.block.submit(ctx, bios);
        return unwritten;
    }

    /**
     * dio_aio_complete_work → dio_complete → ext4_end_io_dio → ext4_put_io_end, in the kworker's {@code ctx}: the
     * unwritten extents the write allocated become written (one handle per extent, as in the writer of a synchronous
     * write). Returns the iocb's result: the bytes, or the conversion's negative errno.
     */
    long endIoDio(TraceContext ctx, DioWorkqueue.Work w) {
        if (!w.unwritten()) {
            return w.len();
        }
        sb.crashPoints.accept(Ext4CrashPoints.DIO_COMPLETE_BEFORE_CONVERSION);
        try {
            conversion.convertUnwrittenExtents(ctx, w.ei(), w.pos() >>> PageCache.PAGE_SHIFT, w.len() >>> PageCache.PAGE_SHIFT);
            return w.len();
        } catch (ErrnoException e) {
            return -e.errno().code();
        }
    }

    /** ext4_get_block_trans: a MAP_BLOCKS handle of ext4_chunk_trans_blocks credits around one ext4_map_blocks. */
    private MapBlocks.Map getBlockTrans(TraceContext ctx, Ext4InodeInfo ei, long lblk, int len, int flags) {
        Ext4Handle h = sb.journalStart(ctx, null, Super.HT_MAP_BLOCKS, Writepages.credits(sb, ei), Caller.GET_BLOCK_TRANS, ei.ino);
        try {
            return map.mapBlocks(ctx, h, ei, lblk, len, flags);
        } finally {
            sb.journalStop(h);
        }
    }

    /**
     * ext4_truncate_failed_write: blocks a failed extending write allocated past i_size go again, or they would stay
     * allocated to the file past its end. The inode is still on the orphan list, so ext4_truncate takes it off in its
     * own handle (the one that frees them); the orphan handle after it finds nothing left to remove.
     */
    private void truncateFailedWrite(TraceContext ctx, Ext4InodeInfo ei) {
        truncate.truncate(ctx, ei);
    }

    /**
     * The end of an extending write: off the orphan list and, for the bytes written, i_disksize and i_size raised, in
     * one handle. After a failure nothing was written and only the orphan entry goes.
     */
    private void extendDone(TraceContext ctx, Ext4InodeInfo ei, long pos, long written) {
        Ext4Handle h = sb.journalStart(ctx, null, Super.HT_INODE, 2, Caller.DIRECT_IO_EXTEND, ei.ino);
        try {
            if (ei.nlink() > 0) {
                orphans.del(ctx, h, ei);
            }
            long end = pos + written;
            if (written > 0 && (end > ei.size || end > ei.disksize())) {
                ei.disksize(Math.max(ei.disksize(), end));
                ei.size = Math.max(ei.size, end);
                sb.markInodeDirty(ctx, h, ei, Caller.DIRECT_IO_EXTEND_MARK, true);
            }
        } finally {
            sb.journalStop(h);
        }
    }
}
