package dev.ext4sim.vfs.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.ext4.Ext4Calls.Attr;
import dev.ext4sim.bus.ext4.Ext4Calls.WriteResult;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.vfs.VfsCalls.Stat;
import dev.ext4sim.vfs.fs.OpenFlags.Flag;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The system calls of fs/open.c, fs/read_write.c and fs/sync.c: do_sys_open, ksys_write (vfs_write > __vfs_write >
 * new_sync_write > ext4_file_write_iter), ksys_read, do_sys_ftruncate, do_fsync, close_fd, ksys_sync and vfs_statx. Checks that the
 * VFS makes (fd, access mode, offsets, path syntax) fail here, before ext4 is asked anything.
 */
public final class Vfs {
    private static final Logger log = LoggerFactory.getLogger(Vfs.class);
    /** The mode of a file created without one: 0666 under the usual umask 022. */
    public static final int DEFAULT_MODE = 0644;
    public static final int DEFAULT_DIR_MODE = 0755;
    /** MAX_RW_COUNT: INT_MAX rounded down to a page; a longer write is cut short, as rw_verify_area does. */
    public static final long MAX_RW_COUNT = Integer.MAX_VALUE & ~4095L;

    private final InodeOps ops;
    private final Flusher flusher;
    private final Processes processes;
    private final Namei namei;

    public Vfs(InodeOps ops, Flusher flusher, Processes processes) {
        this.ops = Objects.requireNonNull(ops);
        this.flusher = Objects.requireNonNull(flusher);
        this.processes = Objects.requireNonNull(processes);
        this.namei = new Namei(ops);
    }

    /** The filesystem the calls go to (for fs/aio.c, which shares it). */
    public InodeOps inodeOps() {
        return ops;
    }

    /** The processes' fd tables. */
    public Processes processes() {
        return processes;
    }

    /** do_sys_open > do_filp_open > path_openat. */
    public int open(String path, List<String> flagNames, int mode, TraceContext ctx) {
        OpenFlags flags = OpenFlags.parse(flagNames);
        if (mode < -1 || mode > 07777) {
            throw new ErrnoException(Errno.EINVAL, "mode " + Integer.toOctalString(mode) + " is not a permission mode (0 to 07777)");
        }
        FdTable files = processes.files(ctx.task());
        Attr inode;
        if (flags.has(Flag.O_CREAT)) {
            Namei.Parent p = namei.parent(path, ctx);
            if (p.last() == null || p.trailingSlash()) {
                throw new ErrnoException(Errno.EISDIR, path + " names a directory; O_CREAT makes regular files");
            }
            inode = ops.create(p.dir().ino(), p.last(), mode < 0 ? DEFAULT_MODE : mode, flags.has(Flag.O_EXCL), ctx);
        } else {
            inode = namei.lookup(path, ctx);
        }
        if (flags.has(Flag.O_DIRECTORY) && !inode.isDir()) {
            throw new ErrnoException(Errno.ENOTDIR, path + " is not a directory (O_DIRECTORY)");
        }
        if (inode.isDir() && (flags.access().canWrite() || flags.has(Flag.O_CREAT) || flags.has(Flag.O_TRUNC))) {
            throw new ErrnoException(Errno.EISDIR, path + " is a directory; open it O_RDONLY");
        }
        // do_dentry_open: get_write_access for FMODE_WRITE, then ext4_file_open; handle_truncate comes after
        boolean write = flags.access().canWrite();
        Attr opened = inode;
        ops.open(opened.ino(), opened.mount(), write, ctx);
        try {
            if (flags.has(Flag.O_TRUNC) && inode.isRegular() && inode.size() > 0) {
                inode = ops.truncate(inode.ino(), inode.mount(), 0, ctx); // handle_truncate > do_truncate
            }
            return files.install(new VfsFile(path, inode.ino(), inode.mount(), inode.isDir(), flags));
        } catch (RuntimeException e) {
            // the file never reached an fd: its fput releases it
            try {
                ops.release(opened.ino(), opened.mount(), write, ctx);
            } catch (RuntimeException r) {
                e.addSuppressed(r);
            }
            throw e;
        }
    }

    /** ksys_write (offset -1) and ksys_pwrite64. */
    public long write(int fd, long offset, byte[] data, TraceContext ctx) {
        VfsFile file = processes.existing(ctx.task(), fd).get(fd);
        if (!file.flags().access().canWrite()) {
            throw new ErrnoException(Errno.EBADF, "fd " + fd + " (" + file.path() + ") is open " + file.flags().access()
                    + "; open it with O_WRONLY or O_RDWR to write");
        }
        if (offset < -1) {
            throw new ErrnoException(Errno.EINVAL, "offset " + offset + " is negative");
        }
        if (data.length == 0) {
            return 0;
        }
        boolean append = file.flags().has(Flag.O_APPEND);
        boolean sync = file.flags().has(Flag.O_SYNC);
        boolean dsync = file.flags().has(Flag.O_DSYNC);
        boolean direct = file.flags().has(Flag.O_DIRECT);
        if (offset >= 0) {
            // pwrite leaves f_pos alone; on an O_APPEND file Linux still appends (a documented BUG in pwrite(2))
            checkRange(offset, data.length);
            return ops.writeIter(file.ino(), file.mount(), offset, append, sync, dsync, direct, data, ctx).written();
        }
        file.fPosLock.lock();
        try {
            long pos = file.rawPos();
            checkRange(pos, data.length);
            WriteResult r = ops.writeIter(file.ino(), file.mount(), pos, append, sync, dsync, direct, data, ctx);
            file.setPos(r.pos());
            return r.written();
        } finally {
            file.fPosLock.unlock();
        }
    }

    /** ksys_read (offset -1) and ksys_pread64. */
    public byte[] read(int fd, long offset, long length, TraceContext ctx) {
        VfsFile file = processes.existing(ctx.task(), fd).get(fd);
        if (!file.flags().access().canRead()) {
            throw new ErrnoException(Errno.EBADF, "fd " + fd + " (" + file.path() + ") is open O_WRONLY; open it with"
                    + " O_RDONLY or O_RDWR to read");
        }
        if (file.isDirectory()) {
            throw new ErrnoException(Errno.EISDIR, "fd " + fd + " is the directory " + file.path() + "; read(2) reads files");
        }
        if (offset < -1 || length < 0) {
            throw new ErrnoException(Errno.EINVAL, "offset and length must not be negative (offset " + offset + ", length " + length + ")");
        }
        long n = Math.min(length, MAX_RW_COUNT);
        if (n == 0) {
            return new byte[0];
        }
        if (offset >= 0) {
            return ops.readIter(file.ino(), file.mount(), offset, n, ctx);
        }
        file.fPosLock.lock();
        try {
            byte[] bytes = ops.readIter(file.ino(), file.mount(), file.rawPos(), n, ctx);
            file.setPos(file.rawPos() + bytes.length);
            return bytes;
        } finally {
            file.fPosLock.unlock();
        }
    }

    /**
     * do_sys_ftruncate > do_truncate > notify_change > ext4_setattr(ATTR_SIZE). The checks are open.c's, in its
     * order: a negative length, then the fd, then a file not open for writing or not a regular file (EINVAL, not
     * EBADF, as the kernel answers); EFBIG past s_maxbytes is ext4's (inode_newsize_ok).
     */
    public int ftruncate(int fd, long length, TraceContext ctx) {
        if (length < 0) {
            throw new ErrnoException(Errno.EINVAL, "length " + length + " is negative");
        }
        VfsFile file = processes.existing(ctx.task(), fd).get(fd);
        if (file.isDirectory()) {
            throw new ErrnoException(Errno.EINVAL, "fd " + fd + " is the directory " + file.path() + "; ftruncate sizes regular files");
        }
        if (!file.flags().access().canWrite()) {
            throw new ErrnoException(Errno.EINVAL, "fd " + fd + " (" + file.path() + ") is open " + file.flags().access()
                    + "; ftruncate needs an fd opened O_WRONLY or O_RDWR");
        }
        ops.truncate(file.ino(), file.mount(), length, ctx);
        return 0;
    }

    /** do_fsync > vfs_fsync_range > ext4_sync_file. */
    public int fsync(int fd, boolean datasync, TraceContext ctx) {
        VfsFile file = processes.existing(ctx.task(), fd).get(fd);
        ops.fsync(file.ino(), file.mount(), datasync, ctx);
        return 0;
    }

    /**
     * close_fd > filp_close > fput > __fput > ext4_release_file. The fd is gone whatever release answers: the kernel
     * ignores the release's return value too.
     */
    public int close(int fd, TraceContext ctx) {
        VfsFile file = processes.existing(ctx.task(), fd).remove(fd);
        try {
            ops.release(file.ino(), file.mount(), file.flags().access().canWrite(), ctx);
        } catch (ErrnoException e) {
            log.warn("close of fd {} by {}: ext4_release_file of inode {} failed ({}); the fd is closed anyway",
                    fd, ctx.task(), file.ino(), e.getMessage());
        }
        return 0;
    }

    /**
     * ksys_sync: wakeup_flusher_threads and sync_inodes_sb (writeback writes every dirty inode, WB_SYNC_ALL), then
     * sync_fs, which commits the journal. sync(2) itself returns nothing; a failure here is reported so that a
     * user of the simulation sees it.
     */
    public int sync(TraceContext ctx) {
        flusher.syncInodes(ops.dev(), ctx);
        ops.syncFs(true, ctx);
        return 0;
    }

    /** do_mkdirat > filename_create > vfs_mkdir. */
    public int mkdir(String path, int mode, TraceContext ctx) {
        if (mode < -1 || mode > 07777) {
            throw new ErrnoException(Errno.EINVAL, "mode " + Integer.toOctalString(mode) + " is not a permission mode (0 to 07777)");
        }
        Namei.Parent p = namei.parent(path, ctx);
        if (p.last() == null) {
            throw new ErrnoException(Errno.EEXIST, path + " names a directory that exists");
        }
        ops.mkdir(p.dir().ino(), p.last(), mode < 0 ? DEFAULT_DIR_MODE : mode, ctx);
        return 0;
    }

    /** do_unlinkat > vfs_unlink: the name goes; the inode once no link and no open file is left. */
    public int unlink(String path, TraceContext ctx) {
        Namei.Parent p = namei.parent(path, ctx);
        if (p.last() == null) {
            throw new ErrnoException(Errno.EISDIR, path + " names a directory; unlink removes files");
        }
        if (p.trailingSlash()) {
            Attr a = ops.lookup(p.dir().ino(), p.last(), ctx);
            throw a.isDir() ? new ErrnoException(Errno.EISDIR, path + " is a directory; unlink removes files")
                    : new ErrnoException(Errno.ENOTDIR, path + ": " + p.last() + " is not a directory (the path ends in '/')");
        }
        ops.unlink(p.dir().ino(), p.last(), ctx);
        return 0;
    }

    /** vfs_statx by path. */
    public Stat stat(String path, TraceContext ctx) {
        Attr a = namei.lookup(path, ctx);
        return new Stat(a.ino(), a.mode(), a.nlink(), a.size(), a.blocks(), 4096, a.atimeNs(), a.mtimeNs(), a.ctimeNs(), ops.dev());
    }

    private static void checkRange(long pos, long count) {
        if (pos + count < 0) {
            throw new ErrnoException(Errno.EINVAL, "offset " + pos + " plus " + count + " bytes overflows loff_t");
        }
    }
}
