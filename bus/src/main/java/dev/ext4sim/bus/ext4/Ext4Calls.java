package dev.ext4sim.bus.ext4;

import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.call.Codecs;
import java.util.Arrays;
import java.util.Objects;

/**
 * What vfs-service asks of ext4-service: the inode and file operations of fs/ext4 (ext4_dir_inode_operations,
 * ext4_file_operations). Inodes are named by number on the mounted device ("sda1"); the root directory is inode 2.
 * The caller's task travels in the trace context, so a write traces as its writer.
 */
public final class Ext4Calls {
    public static final String SERVICE = "ext4-service";
    public static final long ROOT_INO = 2;

    /** ext4_lookup: a name in a directory. */
    public static final CallType<Lookup, Attr> LOOKUP = CallType.json("ext4_lookup", 1, Lookup.class, Attr.class);

    /** ext4_create (with {@code excl} as O_EXCL). An existing file is returned unless excl. */
    public static final CallType<Create, Attr> CREATE = CallType.json("ext4_create", 1, Create.class, Attr.class);

    /** ext4_mkdir. */
    public static final CallType<Create, Attr> MKDIR = CallType.json("ext4_mkdir", 1, Create.class, Attr.class);

    /** ext4_unlink. */
    public static final CallType<Lookup, Done> UNLINK = CallType.json("ext4_unlink", 1, Lookup.class, Done.class);

    /** ext4_getattr. */
    public static final CallType<InodeRef, Attr> GETATTR = CallType.json("ext4_getattr", 1, InodeRef.class, Attr.class);

    /** ext4_setattr with ATTR_SIZE: truncate up or down. */
    public static final CallType<Truncate, Attr> TRUNCATE = CallType.json("ext4_truncate", 1, Truncate.class, Attr.class);

    /** ext4_file_read_iter: the reply is the bytes (short at end of file). */
    public static final CallType<ReadIter, byte[]> READ_ITER = new CallType<>("ext4_file_read_iter", 1,
            Codecs.json(ReadIter.class), Codecs.bytes());

    /** ext4_file_write_iter: the bytes travel raw after a small header. */
    public static final CallType<WriteIter, WriteResult> WRITE_ITER = new CallType<>("ext4_file_write_iter", 1,
            Codecs.framed(WriteIterHeader.class, WriteIter::header,
                    (h, d) -> new WriteIter(h.dev(), h.ino(), h.pos(), h.append(), h.sync(), h.dsync(), d, h.mount(),
                            h.direct()),
                    WriteIter::data),
            Codecs.json(WriteResult.class));

    /** ext4_sync_file. */
    public static final CallType<Fsync, Done> FSYNC = CallType.json("ext4_sync_file", 1, Fsync.class, Done.class);

    /** ext4_file_open, after do_dentry_open counted a writable open in i_writecount. */
    public static final CallType<OpenFile, Done> OPEN = CallType.json("ext4_file_open", 1, OpenFile.class, Done.class);

    /** ext4_release_file: the last close of a file (then __fput drops its i_writecount). */
    public static final CallType<OpenFile, Done> RELEASE = CallType.json("ext4_release_file", 2, OpenFile.class, Done.class);

    /** ext4_sync_fs (sync(2) after the flusher wrote the inodes). */
    public static final CallType<SyncFs, Done> SYNC_FS = CallType.json("ext4_sync_fs", 1, SyncFs.class, Done.class);

    /**
     * do_writepages → ext4_writepages for the flusher (writeback-service), in the kworker's task: at most
     * {@code nrToWrite} pages of one inode.
     */
    public static final CallType<Writepages, WritepagesResult> WRITEPAGES = CallType.json("ext4_writepages", 2,
            Writepages.class, WritepagesResult.class);

    /**
     * The end of the flusher's round (wb_workfn, 6.x), once wb_writeback's blk_finish_plug let the round's bios go:
     * ext4's end_io work for them (the ext4-rsv-conversion of unwritten extents) runs now, after the round's events,
     * as in the kernel.
     */
    public static final CallType<FinishPlug, Done> FINISH_PLUG = CallType.json("ext4_finish_plug", 1,
            FinishPlug.class, Done.class);

    /** The inodes still dirty, so that a restarted writeback-service rebuilds its b_dirty list. */
    public static final CallType<DirtyInodesQuery, DirtyInodes> DIRTY_INODES = CallType.json("ext4_dirty_inodes", 1,
            DirtyInodesQuery.class, DirtyInodes.class);

    private Ext4Calls() {
    }

    /**
     * struct writeback_control: sync_mode 0 WB_SYNC_NONE / 1 WB_SYNC_ALL, byte range inclusive, reason as the
     * writeback tracepoints print it (periodic, background, sync, ...).
     */
    public record FinishPlug(String dev) {
    }

    /** {@code plugged}: the flusher's task holds wb_writeback's block plug around the call. */
    public record Writepages(String dev, long ino, int syncMode, long nrToWrite, long rangeStart, long rangeEnd,
                             boolean rangeCyclic, boolean forKupdate, boolean forBackground, boolean forSync,
                             String reason, boolean plugged) {
        public Writepages(String dev, long ino, int syncMode, long nrToWrite, long rangeStart, long rangeEnd,
                          boolean rangeCyclic, boolean forKupdate, boolean forBackground, boolean forSync, String reason) {
            this(dev, ino, syncMode, nrToWrite, rangeStart, rangeEnd, rangeCyclic, forKupdate, forBackground, forSync,
                    reason, false);
        }
    }

    /**
     * @param stillDirty     the mapping is still tagged dirty (pages left, or redirtied meanwhile)
     * @param writebackIndex mapping->writeback_index, where the next cyclic pass starts
     * @param inodeDirty     the I_DIRTY_SYNC/I_DIRTY_DATASYNC bits the inode has once ext4_writepages returns, those
     *                       delalloc's quota claim set during the call included (__writeback_single_inode takes them
     *                       after do_writepages and calls write_inode for them)
     */
    public record WritepagesResult(long pagesWritten, boolean stillDirty, long writebackIndex, int inodeDirty) {
        public WritepagesResult(long pagesWritten, boolean stillDirty, long writebackIndex) {
            this(pagesWritten, stillDirty, writebackIndex, 0);
        }
    }

    public record DirtyInodesQuery(String dev) {
    }

    /** @param state I_DIRTY_* bits; {@code dirtiedWhen} jiffies of the shared trace clock (HZ 250) */
    public record DirtyInode(long ino, int state, long dirtiedWhen, long nrDirty) {
    }

    public record DirtyInodes(String dev, java.util.List<DirtyInode> inodes) {
        public DirtyInodes {
            inodes = inodes == null ? java.util.List.of() : java.util.List.copyOf(inodes);
        }
    }

    public record Lookup(String dev, long dir, String name) {
    }

    /** @param mode permission bits; {@code excl} O_EXCL (EEXIST if the name exists) */
    public record Create(String dev, long dir, String name, int mode, boolean excl) {
    }

    /**
     * An inode reached through an open file. {@code mount} is the mount the file was opened on ({@link Attr#mount});
     * a later mount refuses it with EIO, as the page cache the file wrote to died with the earlier one. 0 names no
     * mount (a path walk, a test).
     */
    public record InodeRef(String dev, long ino, long mount) {
        public InodeRef(String dev, long ino) {
            this(dev, ino, 0);
        }
    }

    /** A struct file on the inode, opened on {@code mount} ({@link InodeRef}); {@code write}: FMODE_WRITE. */
    public record OpenFile(String dev, long ino, long mount, boolean write) {
    }

    public record Truncate(String dev, long ino, long size, long mount) {
        public Truncate(String dev, long ino, long size) {
            this(dev, ino, size, 0);
        }
    }

    public record ReadIter(String dev, long ino, long pos, long length, long mount) {
        public ReadIter(String dev, long ino, long pos, long length) {
            this(dev, ino, pos, length, 0);
        }
    }

    /**
     * @param append IOCB_APPEND: write at i_size, whatever pos says
     * @param sync   IOCB_SYNC (O_SYNC), {@code dsync} IOCB_DSYNC (O_DSYNC): generic_write_sync after the copy
     * @param direct IOCB_DIRECT (O_DIRECT): the data goes to the device without the page cache
     */
    public record WriteIter(String dev, long ino, long pos, boolean append, boolean sync, boolean dsync, byte[] data,
                            long mount, boolean direct) {
        public WriteIter {
            data = data == null ? new byte[0] : data;
        }

        public WriteIter(String dev, long ino, long pos, boolean append, boolean sync, boolean dsync, byte[] data,
                         long mount) {
            this(dev, ino, pos, append, sync, dsync, data, mount, false);
        }

        public WriteIter(String dev, long ino, long pos, boolean append, boolean sync, boolean dsync, byte[] data) {
            this(dev, ino, pos, append, sync, dsync, data, 0);
        }

        WriteIterHeader header() {
            return new WriteIterHeader(dev, ino, pos, append, sync, dsync, mount, direct);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof WriteIter w && Objects.equals(dev, w.dev) && ino == w.ino && pos == w.pos
                    && append == w.append && sync == w.sync && dsync == w.dsync && Arrays.equals(data, w.data)
                    && mount == w.mount && direct == w.direct;
        }

        @Override
        public int hashCode() {
            return Objects.hash(dev, ino, pos, append, sync, dsync, Arrays.hashCode(data), mount, direct);
        }

        @Override
        public String toString() {
            return "WriteIter[dev=" + dev + ", ino=" + ino + ", pos=" + pos + ", append=" + append + ", sync=" + sync
                    + ", dsync=" + dsync + ", direct=" + direct + ", data=" + data.length + " bytes, mount="
                    + Long.toHexString(mount) + "]";
        }
    }

    record WriteIterHeader(String dev, long ino, long pos, boolean append, boolean sync, boolean dsync, long mount,
                           boolean direct) {
    }

    /** @param pos the position after the write (the new f_pos), {@code size} i_size after it */
    public record WriteResult(long written, long pos, long size) {
    }

    public record Fsync(String dev, long ino, boolean datasync, long mount) {
        public Fsync(String dev, long ino, boolean datasync) {
            this(dev, ino, datasync, 0);
        }
    }

    public record SyncFs(String dev, boolean waitForCommit) {
    }

    public record Done(int ret) {
    }

    /**
     * The inode as ext4_getattr fills a kstat: mode with its S_IFMT type bits, sizes in bytes, blocks in 512-byte
     * sectors, times in nanoseconds since the epoch. {@code mount} names the mount that answered (each start of
     * ext4-service mounts anew): an open file keeps it and names it in every call on the inode.
     */
    public record Attr(long ino, int mode, int nlink, long size, long blocks, long atimeNs, long mtimeNs, long ctimeNs,
                       long mount) {
        public Attr(long ino, int mode, int nlink, long size, long blocks, long atimeNs, long mtimeNs, long ctimeNs) {
            this(ino, mode, nlink, size, blocks, atimeNs, mtimeNs, ctimeNs, 0);
        }

        public static final int S_IFMT = 0170000;
        public static final int S_IFDIR = 0040000;
        public static final int S_IFREG = 0100000;

        public boolean isDir() {
            return (mode & S_IFMT) == S_IFDIR;
        }

        public boolean isRegular() {
            return (mode & S_IFMT) == S_IFREG;
        }
    }
}
