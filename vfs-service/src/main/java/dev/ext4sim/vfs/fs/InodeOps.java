package dev.ext4sim.vfs.fs;

import dev.ext4sim.bus.ext4.Ext4Calls.Attr;
import dev.ext4sim.bus.ext4.Ext4Calls.WriteResult;
import dev.ext4sim.bus.trace.TraceContext;

/**
 * The mounted filesystem as the VFS sees it (struct inode_operations + file_operations + super_operations of ext4).
 * ext4-service implements it over the bus; tests use a fake. Every method runs in the caller's task. The calls on an
 * open file name the mount it was opened on ({@link Attr#mount}), which a later mount refuses.
 */
public interface InodeOps {
    /** The mounted device, e.g. "sda1". */
    String dev();

    Attr lookup(long dir, String name, TraceContext ctx);

    Attr create(long dir, String name, int mode, boolean excl, TraceContext ctx);

    Attr mkdir(long dir, String name, int mode, TraceContext ctx);

    void unlink(long dir, String name, TraceContext ctx);

    Attr getattr(long ino, TraceContext ctx);

    Attr truncate(long ino, long mount, long size, TraceContext ctx);

    byte[] readIter(long ino, long mount, long pos, long length, TraceContext ctx);

    WriteResult writeIter(long ino, long mount, long pos, boolean append, boolean sync, boolean dsync, byte[] data, TraceContext ctx);

    /**
     * The same with IOCB_DIRECT when {@code direct} (O_DIRECT). A filesystem without a direct_IO path takes the write
     * buffered, as generic_file_direct_write's fallback does.
     */
    default WriteResult writeIter(long ino, long mount, long pos, boolean append, boolean sync, boolean dsync, boolean direct,
                                  byte[] data, TraceContext ctx) {
        return writeIter(ino, mount, pos, append, sync, dsync, data, ctx);
    }

    /**
     * aio_write: the write of an io_submit iocb ({@code id} in the caller's io context). {@link WriteResult#written}
     * is the bytes written, or -EIOCBQUEUED (-529) when the filesystem completes the iocb later. A filesystem without
     * asynchronous writes finishes it here.
     */
    default WriteResult aioWrite(long ino, long mount, long pos, boolean append, boolean sync, boolean dsync,
                                 boolean direct, long id, byte[] data, TraceContext ctx) {
        return writeIter(ino, mount, pos, append, sync, dsync, direct, data, ctx);
    }

    void fsync(long ino, long mount, boolean datasync, TraceContext ctx);

    /** ext4_file_open of a struct file on the inode; {@code write}: opened FMODE_WRITE (counted in i_writecount). */
    void open(long ino, long mount, boolean write, TraceContext ctx);

    /** ext4_release_file of a struct file {@link #open} opened. */
    void release(long ino, long mount, boolean write, TraceContext ctx);

    void syncFs(boolean wait, TraceContext ctx);
}
