package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ext4.port.BlockPort;
import dev.ext4sim.ext4.port.DataBio;
import dev.ext4sim.ext4.port.JournalPort;
import dev.ext4sim.ext4.port.JournalTid;
import dev.ext4sim.ext4.port.WritebackControl;
import dev.ext4sim.ext4.port.WritebackPort;
import dev.ext4sim.ondisk.OnDiskException;
import dev.ext4sim.ondisk.ext4.Ext4;
import dev.ext4sim.ondisk.ext4.NoSpaceException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One mounted ext4 filesystem: the operations ext4-service serves (the VFS's calls into ext4, the flusher's
 * writepages, jbd2's ordered-data callback), each run under the filesystem lock in the caller's trace context.
 * Waits on commits, cache flushes and dirty throttling are never taken under the lock.
 */
public final class Ext4Mount {
    /** The dev_t of sda1 (8,1) and the bdi of sda. */
    public static final int SDA1 = Ext4Trace.devT(8, 1);
    public static final String BDI_SDA = "8:0";

    /**
     * How a write(2) reaches ext4: at {@code pos}, or at the end with O_APPEND; O_SYNC/O_DSYNC sync before returning;
     * O_DIRECT bypasses the page cache (4.x profile; 6.x still takes it buffered).
     */
    public record WriteFlags(boolean append, boolean sync, boolean dsync, boolean direct) {
        public static final WriteFlags NONE = new WriteFlags(false, false, false);

        public WriteFlags(boolean append, boolean sync, boolean dsync) {
            this(append, sync, dsync, false);
        }
    }

    /**
     * @param written bytes written
     * @param pos     the file position after the write (what f_pos becomes)
     * @param pause   balance_dirty_pages' verdict: how long the writer should sleep before its next write
     */
    public record WriteResult(long written, long pos, Duration pause) {
    }

    private final Super sb;
    private final MarkInodeDirty dirty;
    private final FileRead read;
    private final DaWrite write;
    private final Writepages writepages;
    private final Truncate truncate;
    private final Ext4Namei namei;
    private final Evict evict;
    private final Fsync fsync;
    private final SampleLastMounted lastMounted;
    private final DirectIo directIo;
    private final OrphanCleanup orphanCleanup;
    private final DioWorkqueue dioWq = new DioWorkqueue();
    private volatile Consumer<AioCompletion> kiComplete = c -> {
    };
    /** What ext4_fill_super printed (ext4_orphan_cleanup's lines), for the service's log. */
    private List<KernelMessage> mountMessages = List.of();

    private Ext4Mount(Super sb) {
        this.sb = sb;
        this.dirty = new MarkInodeDirty(sb);
        DaReserve reserve = new DaReserve(sb, dirty);
        MapBlocks map = new MapBlocks(sb, reserve);
        this.read = new FileRead(sb);
        this.write = new DaWrite(sb, map, reserve, dirty, read);
        this.writepages = new Writepages(sb, map, read);
        Orphan orphans = new Orphan(sb);
        this.truncate = new Truncate(sb, reserve, dirty, read, orphans);
        this.evict = new Evict(sb, truncate, orphans);
        this.namei = new Ext4Namei(sb, evict, map, orphans);
        this.fsync = new Fsync(sb, writepages);
        this.lastMounted = new SampleLastMounted(sb);
        this.directIo = new DirectIo(sb, map, writepages, write, orphans, truncate, dioWq);
        this.orphanCleanup = new OrphanCleanup(sb, orphans, truncate, evict);
    }

    /** Tells {@code points} each of {@link Ext4CrashPoints} as it is reached (the service's crash points). */
    public void crashPoints(java.util.function.Consumer<String> points) {
        sb.crashPoints = java.util.Objects.requireNonNull(points);
    }

    /** ext4_fill_super on sda1 (8,1), bdi 8:0. */
    public static Ext4Mount mount(TraceContext ctx, BlockPort block, JournalPort journal, WritebackPort writeback,
                                  Tracer tracer, Time time) {
        return mount(ctx, block, journal, writeback, tracer, time, SDA1, BDI_SDA);
    }

    public static Ext4Mount mount(TraceContext ctx, BlockPort block, JournalPort journal, WritebackPort writeback,
                                  Tracer tracer, Time time, int devT, String bdi) {
        return mount(ctx, block, journal, writeback, new Ext4Trace(tracer, devT, bdi), time, devT);
    }

    /** ext4_fill_super on sda1 with mount options ({@link MountOptions#parse}). */
    public static Ext4Mount mount(TraceContext ctx, BlockPort block, JournalPort journal, WritebackPort writeback,
                                  Tracer tracer, Time time, MountOptions opts) {
        return mount(ctx, block, journal, writeback, new Ext4Trace(tracer, SDA1, BDI_SDA), time, SDA1, opts);
    }

    /** With the tracepoints as given (for example {@code new Ext4Trace(tracer, devT, bdi, false)}: tracing off). */
    public static Ext4Mount mount(TraceContext ctx, BlockPort block, JournalPort journal, WritebackPort writeback,
                                  Ext4Trace trace, Time time, int devT) {
        return mount(ctx, block, journal, writeback, trace, time, devT, MountOptions.DEFAULTS);
    }

    public static Ext4Mount mount(TraceContext ctx, BlockPort block, JournalPort journal, WritebackPort writeback,
                                  Ext4Trace trace, Time time, int devT, MountOptions opts) {
        Super sb = Super.mount(ctx, block, journal, writeback, trace, time, devT);
        sb.opts = java.util.Objects.requireNonNull(opts);
        Ext4Mount m = new Ext4Mount(sb);
        // ext4_fill_super: after the journal's recovery and ext4_setup_super, before the mount returns
        m.mountMessages = List.copyOf(m.locked(ctx, () -> m.orphanCleanup.cleanup(ctx)));
        return m;
    }

    /** The options this filesystem was mounted with. */
    public MountOptions options() {
        return sb.opts;
    }

    /** The lines the mount printed to the kernel log (EXT4-fs (sda1): ...), oldest first. */
    public List<KernelMessage> mountMessages() {
        return mountMessages;
    }

    /**
     * How finely inode times move, and so how often file_update_time dirties the inode of a stream of writes (and an
     * fsync after an overwrite commits). A jiffy (4 ms at HZ 250) by default, as the kernel's; a second spares the
     * journal most of that work, at the cost of fidelity (README, "Measured").
     */
    /**
     * How much file data the page cache keeps: past it, clean pages of the least recently used files are reclaimed
     * (dirty ones wait for writeback). 0 keeps everything.
     */
    public void pageCacheLimit(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("the page cache limit must be 0 (none) or more bytes, not " + bytes);
        }
        sb.pageCacheLimit = bytes / PageCache.PAGE_SIZE;
    }

    /** NR_FILE_PAGES of this filesystem, and the clean pages reclaimed since the mount. */
    public long[] pageCacheStats() {
        return new long[]{sb.cachedPages.get(), sb.reclaimed};
    }

    public void timeGranularity(java.time.Duration granularity) {
        long nanos = granularity.toNanos();
        if (nanos <= 0 || nanos > 1_000_000_000L || 1_000_000_000L % nanos != 0) {
            throw new IllegalArgumentException("the inode time granularity must divide a second evenly (1s, or 4ms "
                    + "for a jiffy at HZ 250), not " + granularity);
        }
        sb.timeGranNanos = nanos;
    }

    private <T> T locked(TraceContext ctx, Supplier<T> op) {
        return locked(ctx, op, true);
    }

    /**
     * {@code op} under the filesystem lock. Unless {@code endIo} is false (the flusher's own writepages), the conversions a flusher's round
     * left queued run first: a later call must not see an extent its bios already wrote as unwritten.
     */
    private <T> T locked(TraceContext ctx, Supplier<T> op, boolean endIo) {
        sb.lock.lock();
        try {
            sb.enter(ctx);
            if (endIo) {
                writepages.endIoRsvWork();
            }
            return op.get();
        } catch (OnDiskException e) {
            // EFSCORRUPTED: a checksum or structure that does not hold up
            throw new ErrnoException(Errno.EUCLEAN, e.getMessage(), e);
        } catch (NoSpaceException e) {
            throw new ErrnoException(Errno.ENOSPC, e.getMessage(), e);
        } finally {
            sb.reclaimPages();
            sb.lock.unlock();
        }
    }

    private void locked(TraceContext ctx, Runnable op) {
        locked(ctx, () -> {
            op.run();
            return null;
        });
    }

    // ------------------------------------------------------------------ namespace

    public int lookup(TraceContext ctx, int dirIno, String name) {
        return locked(ctx, () -> namei.lookup(ctx, dirIno, name));
    }

    /** Walks an absolute path from the root (a convenience for callers that keep no dentries). */
    public int lookupPath(TraceContext ctx, String path) {
        if (path == null || !path.startsWith("/")) {
            throw new ErrnoException(Errno.EINVAL, "path '" + path + "' is not absolute");
        }
        return locked(ctx, () -> {
            int ino = Ext4.ROOT_INO;
            for (String part : path.split("/")) {
                if (!part.isEmpty()) {
                    ino = namei.lookup(ctx, ino, part);
                }
            }
            return ino;
        });
    }

    public int create(TraceContext ctx, int dirIno, String name, int perm) {
        return locked(ctx, () -> namei.create(ctx, dirIno, name, perm));
    }

    public int mkdir(TraceContext ctx, int dirIno, String name, int perm) {
        return locked(ctx, () -> namei.mkdir(ctx, dirIno, name, perm));
    }

    public void unlink(TraceContext ctx, int dirIno, String name) {
        locked(ctx, () -> namei.unlink(ctx, dirIno, name));
    }

    public Stat getattr(TraceContext ctx, int ino) {
        return locked(ctx, () -> {
            Ext4InodeInfo ei = sb.iget(ino, 0);
            long blocks = ei.raw.i_blocks() + (long) ei.reservedDataBlocks * (PageCache.PAGE_SIZE / 512);
            return new Stat(ei.ino, ei.mode(), ei.nlink(), ei.raw.i_uid(), ei.raw.i_gid(), ei.size, blocks,
                    ei.raw.atime(), ei.raw.mtime(), ei.raw.ctime());
        });
    }

    // ------------------------------------------------------------------ files

    /**
     * An open file on the inode (ext4_file_open): the inode stays until the last release even when unlinked. 6.x's
     * first open after the mount records the mount point in the superblock (ext4_sample_last_mounted).
     */
    public void open(TraceContext ctx, int ino, boolean writable) {
        locked(ctx, () -> {
            Ext4InodeInfo ei = sb.iget(ino, 0);
            if (sb.trace.v6()) {
                lastMounted.sample(ctx);
            }
            ei.openCount++;
            if (writable) {
                ei.writers++;
            }
        });
    }

    /**
     * ext4_release_file: a file truncated to zero since has its delayed blocks allocated now (auto_da_alloc); the last
     * writer drops preallocations; the last opener of an unlinked inode frees it.
     */
    public void release(TraceContext ctx, int ino, boolean writable) {
        runDioWork(); // an iocb in flight holds its file: the last fput comes after its completion
        locked(ctx, () -> {
            Ext4InodeInfo ei = sb.cached(ino);
            if (ei == null || ei.openCount == 0) {
                throw new ErrnoException(Errno.EBADF, "inode " + ino + " is not open");
            }
            if (ei.daAllocClose) {
                // ext4_alloc_da_blocks: filemap_flush, a WB_SYNC_NONE pass in the closer's task
                sb.trace.ext4(Ext4Trace.ALLOC_DA_BLOCKS, ctx, (long) ino, ei.reservedDataBlocks);
                if (ei.reservedDataBlocks > 0) {
                    writepages.writepages(ctx, ei, new WritebackControl(WritebackControl.WB_SYNC_NONE, Long.MAX_VALUE, 0,
                            WritebackControl.LLONG_MAX, false, false, false, false, ""));
                }
                ei.daAllocClose = false;
            }
            if (writable && ei.writers == 1 && ei.reservedDataBlocks == 0) {
                sb.discardPreallocations(ctx, ei);
            }
            ei.openCount--;
            if (writable) {
                ei.writers = Math.max(0, ei.writers - 1);
            }
            if (ei.isFreeable()) {
                evict.evict(ctx, ei);
            }
        });
    }

    public void truncate(TraceContext ctx, int ino, long size) {
        runDioWork(); // ext4_setattr's inode_dio_wait
        locked(ctx, () -> truncate.setSize(ctx, sb.iget(ino, 0), size));
    }

    public byte[] read(TraceContext ctx, int ino, long offset, int length) {
        return locked(ctx, () -> read.read(ctx, sb.iget(ino, 0), offset, length));
    }

    /**
     * ext4_file_write_iter: generic_write_checks (EFBIG past s_maxbytes, the count cut to fit), the buffered write,
     * balance_dirty_pages_ratelimited, and generic_write_sync for O_SYNC/O_DSYNC. With O_DIRECT (4.x) the direct write
     * instead, which dirties no page, or under data=journal its buffered fallback.
     */
    public WriteResult write(TraceContext ctx, int ino, long pos, byte[] data, WriteFlags flags) {
        record Done(Ext4InodeInfo ei, long start, DaWrite.Written w) {
        }
        boolean direct = directIo(flags);
        Done done = locked(ctx, () -> {
            Ext4InodeInfo ei = sb.iget(ino, 0);
            long start = flags.append() ? ei.size : pos;
            DaWrite.checkWrite(ei, start, data.length);
            int len = (int) Math.min(data.length, Super.MAX_BYTES - start);
            if (len == 0) {
                return new Done(ei, start, new DaWrite.Written(0, 0));
            }
            if (direct && sb.shouldJournalData(ei)) {
                return new Done(ei, start, directIo.writeBuffered(ctx, ei, start, data, len));
            }
            if (direct) {
                return new Done(ei, start, new DaWrite.Written(directIo.write(ctx, ei, start, data, len), 0));
            }
            return new Done(ei, start, write.performWrite(ctx, ei, start, data, 0, len));
        });
        long written = done.w().bytes();
        // balance_dirty_pages_ratelimited belongs to generic_perform_write: a direct write dirtied nothing
        Duration pause = written > 0 && (!direct || sb.opts.journalData())
                ? sb.writeback.balanceDirtyPagesRatelimited(ctx, done.w().pagesDirtied()) : Duration.ZERO;
        if (written > 0 && (flags.sync() || flags.dsync())) {
            fsyncRange(ctx, ino, flags.dsync() && !flags.sync(), done.start(), done.start() + written - 1);
        }
        return new WriteResult(written, done.start() + written, pause);
    }

    /**
     * O_DIRECT goes to {@link DirectIo}: 4.x only (6.x takes it through the page cache here). Under data=journal it
     * falls back to a buffered write there.
     */
    private boolean directIo(WriteFlags flags) {
        return flags.direct() && !sb.trace.v6();
    }

    /** The io_event of a queued AIO write: its iocb id and submitter, res (bytes, or a negative errno), its trace id. */
    public record AioCompletion(long id, dev.ext4sim.bus.trace.Task task, long res, String traceId) {
    }

    /** ki_complete: where completions of queued AIO writes go (aio_complete into the submitter's io context). */
    public void kiComplete(Consumer<AioCompletion> sink) {
        this.kiComplete = java.util.Objects.requireNonNull(sink);
    }

    /**
     * queue_work's wake-up of the dio/sda1 worker: {@code kick} must get {@link #runDioWork} run soon, on another
     * thread (it is called under the filesystem lock). Without one, work waits for the next runDioWork.
     */
    public void dioWorker(Runnable kick) {
        dioWq.kick(kick);
    }

    /**
     * aio_write → ext4_file_write_iter with a kiocb that is not synchronous ({@code id} in the submitter's io
     * context). An O_DIRECT write inside i_size (4.x) returns {@link DirectIo#EIOCBQUEUED} with its bios done and its
     * completion queued; every other write is done when this returns and answers its bytes, as aio_rw_done then
     * completes it at once. {@link WriteResult#written} is that return value.
     */
    public WriteResult writeAio(TraceContext ctx, int ino, long pos, byte[] data, WriteFlags flags, long id) {
        if (!directIo(flags) || sb.opts.journalData()) {
            return write(ctx, ino, pos, data, flags); // done at submission: aio_rw_done completes it at once
        }
        DioWorkqueue.Kiocb iocb = new DioWorkqueue.Kiocb(id, ctx.task(), flags.sync(), flags.dsync());
        record Submitted(long ret, long start, int len, List<DioWorkqueue.Work> irq) {
        }
        Submitted s = locked(ctx, () -> {
            Ext4InodeInfo ei = sb.iget(ino, 0);
            long start = flags.append() ? ei.size : pos;
            DaWrite.checkWrite(ei, start, data.length);
            int len = (int) Math.min(data.length, Super.MAX_BYTES - start);
            long ret = len == 0 ? 0 : directIo.write(ctx, ei, start, data, len, iocb);
            return new Submitted(ret, start, len, dioWq.takeCompletedInIrq());
        });
        for (DioWorkqueue.Work w : s.irq()) {
            kiComplete.accept(new AioCompletion(w.iocb().id(), w.iocb().task(), w.len(), w.traceId()));
        }
        if (s.ret() > 0 && (flags.sync() || flags.dsync())) {
            fsyncRange(ctx, ino, flags.dsync() && !flags.sync(), s.start(), s.start() + s.ret() - 1);
        }
        // a queued iocb's pos is past the range it submitted, as if it were written
        return new WriteResult(s.ret(), s.start() + (s.ret() == DirectIo.EIOCBQUEUED ? s.len() : s.ret()), Duration.ZERO);
    }

    /**
     * The dio/sda1 kworker: each queued completion in its turn, as dio_aio_complete_work runs it (the unwritten
     * extents converted, generic_write_sync for O_SYNC/O_DSYNC), then ki_complete. Returns how many ran.
     */
    public int runDioWork() {
        int n = 0;
        while (true) {
            DioWorkqueue.Work w;
            sb.lock.lock();
            try {
                w = dioWq.poll();
            } finally {
                sb.lock.unlock();
            }
            if (w == null) {
                return n;
            }
            TraceContext worker = w.worker();
            long res = locked(worker, () -> directIo.endIoDio(worker, w));
            if (res > 0 && (w.iocb().sync() || w.iocb().dsync())) {
                try {
                    fsyncRange(worker, w.ei().ino, w.iocb().dsync() && !w.iocb().sync(), w.pos(), w.pos() + w.len() - 1);
                } catch (ErrnoException e) {
                    res = -e.errno().code();
                }
            }
            kiComplete.accept(new AioCompletion(w.iocb().id(), w.iocb().task(), res, w.traceId()));
            n++;
        }
    }

    /** fsync(2) (datasync false) and fdatasync(2). */
    public void fsync(TraceContext ctx, int ino, boolean datasync) {
        fsyncRange(ctx, ino, datasync, 0, WritebackControl.LLONG_MAX);
    }

    private void fsyncRange(TraceContext ctx, int ino, boolean datasync, long start, long end) {
        record Begun(Ext4InodeInfo ei, Fsync.Begun sync) {
        }
        Begun b = locked(ctx, () -> {
            Ext4InodeInfo ei = sb.iget(ino, 0);
            return new Begun(ei, fsync.begin(ctx, ei, datasync, start, end));
        });
        int ret = 0;
        try {
            fsync.complete(ctx, b.sync());
        } catch (ErrnoException e) {
            ret = -e.errno().code();
            throw e;
        } finally {
            fsync.exit(ctx, b.ei(), ret);
        }
    }

    // ------------------------------------------------------------------ writeback and journal callbacks

    /**
     * What the flusher's do_writepages did: pages written, and the I_DIRTY_SYNC/I_DIRTY_DATASYNC bits the inode had
     * when it returned (set meanwhile by delalloc's quota claim, or before), which write_inode is due for.
     */
    public record WrittenBack(long pages, int inodeDirty) {
    }

    /** do_writepages for the flusher (__writeback_single_inode). Returns pages written. */
    public long writepages(TraceContext ctx, int ino, WritebackControl wbc) {
        return writebackSingleInode(ctx, ino, wbc).pages();
    }

    /** As {@link #writepages}, with the inode's dirty bits as the call left them. */
    public WrittenBack writebackSingleInode(TraceContext ctx, int ino, WritebackControl wbc) {
        return locked(ctx, () -> {
            Ext4InodeInfo ei = sb.cached(ino);
            if (ei == null) {
                // not in core (never read, or evicted since the flusher listed it): nothing is dirty
                return new WrittenBack(0, 0);
            }
            return writebackSingleInode(ctx, ei, wbc);
        }, wbc.syncMode() != WritebackControl.WB_SYNC_NONE);
    }

    /** blk_finish_plug of the flusher's round: the end_io work of the bios its writepages calls held runs now. */
    public void finishPlug(TraceContext ctx) {
        locked(ctx, () -> {
        });
    }

    /**
     * __writeback_single_inode as 4.x runs it: the inode carries I_SYNC while do_writepages runs, so that dirtying it
     * meanwhile (delalloc's quota claim) only sets bits, and its dirty bits are taken only after the call; its
     * metadata is in the journal already, so nothing more is owed for them. I_DIRTY_PAGES stays while pages are left.
     */
    private WrittenBack writebackSingleInode(TraceContext ctx, Ext4InodeInfo ei, WritebackControl wbc) {
        ei.state |= Flags.I_SYNC;
        long pages;
        int dirty;
        try {
            pages = writepages.writepages(ctx, ei, wbc);
        } finally {
            dirty = ei.state & Flags.I_DIRTY;
            ei.state &= ~(dirty | Flags.I_SYNC);
            if (ei.pages.dirtyPages() > 0) {
                ei.state |= Flags.I_DIRTY_PAGES;
            }
        }
        return new WrittenBack(pages, dirty & Flags.I_DIRTY_INODE);
    }

    /**
     * data=ordered, called by jbd2's commit in T_FLUSH (ext4_journal_submit_inode_data_buffers): writes the dirty pages
     * of the ranges whose blocks are allocated and waits for them. Delayed pages are writeback's: they are not yet
     * part of any transaction's metadata.
     */
    public void submitInodeData(TraceContext ctx, int tid, List<InodeRange> ranges) {
        locked(ctx, () -> {
            for (InodeRange r : ranges) {
                Ext4InodeInfo ei = sb.cached((int) r.ino());
                if (ei == null) {
                    continue;
                }
                List<PageCache.Page> pages = new ArrayList<>();
                List<Long> pblks = new ArrayList<>();
                for (PageCache.Page p : ei.pages.dirtyIn(r.start() >>> PageCache.PAGE_SHIFT, r.end() >>> PageCache.PAGE_SHIFT)) {
                    // collected first: submit cleans the pages
                    ExtentStatus.Es es = ei.es.lookup(p.index);
                    if (es != null && es.written()) {
                        pages.add(p);
                        pblks.add(es.pblk() + (p.index - es.lblk()));
                    }
                }
                if (!pages.isEmpty()) {
                    writepages.submit(ctx, ei, pages, pblks, EnumSet.of(DataBio.BioFlag.SYNC));
                }
            }
        });
    }

    /**
     * ext4_journal_commit_callback: jbd2 committed every transaction up to {@code tid}; the blocks they freed may be
     * allocated again. An adapter calls it when it learns of a commit (without it freed blocks are reused only when
     * nothing else is free).
     */
    public void journalCommitCallback(int tid) {
        sb.lock.lock();
        try {
            sb.freed.committed(tid);
        } finally {
            sb.lock.unlock();
        }
    }

    /** For a restarted flusher: every inode with dirty state, as its b_dirty list would hold it. */
    public List<DirtyInode> dirtyInodes() {
        sb.lock.lock();
        try {
            List<DirtyInode> out = new ArrayList<>();
            for (Ext4InodeInfo ei : sb.inodes()) {
                if ((ei.state & Flags.I_DIRTY) != 0) {
                    out.add(new DirtyInode(ei.ino, ei.state, ei.dirtiedWhen, ei.pages.dirtyPages()));
                }
            }
            out.sort(java.util.Comparator.comparingLong(DirtyInode::dirtiedWhen).thenComparingLong(DirtyInode::ino));
            return out;
        } finally {
            sb.lock.unlock();
        }
    }

    /** Pages of this filesystem that are dirty (NR_FILE_DIRTY). */
    public long dirtyPages() {
        sb.lock.lock();
        try {
            return sb.nrDirty;
        } finally {
            sb.lock.unlock();
        }
    }

    /** Free blocks (s_free_blocks_count as the allocator sees it, delalloc reservations not subtracted). */
    public long freeBlocks() {
        sb.lock.lock();
        try {
            return sb.freeClusters();
        } finally {
            sb.lock.unlock();
        }
    }

    /** Blocks mballoc allocated since the mount (mb_stats' "blocks allocated"); never waits for the lock. */
    public long blocksAllocated() {
        return sb.fs.mballoc().blocksAllocated();
    }

    /** Blocks reserved by delayed allocation, not yet allocated (s_dirtyclusters_counter). */
    public long delallocReservedBlocks() {
        sb.lock.lock();
        try {
            return sb.dirtyClusters;
        } finally {
            sb.lock.unlock();
        }
    }

    /** Whether the in-core inode still has dirty pages (the mapping is tagged dirty); false when not in core. */
    public boolean hasDirtyPages(int ino) {
        sb.lock.lock();
        try {
            Ext4InodeInfo ei = sb.cached(ino);
            return ei != null && ei.pages.dirtyPages() > 0;
        } finally {
            sb.lock.unlock();
        }
    }

    /** mapping->writeback_index of the in-core inode (0 when not in core). */
    public long writebackIndex(int ino) {
        sb.lock.lock();
        try {
            Ext4InodeInfo ei = sb.cached(ino);
            return ei == null ? 0 : ei.writebackIndex;
        } finally {
            sb.lock.unlock();
        }
    }

    // ------------------------------------------------------------------ sync and unmount

    /**
     * sync(2) as far as this filesystem goes: every dirty inode's data in the caller (WB_SYNC_ALL, reason sync), then
     * ext4_sync_fs without and with wait. An adapter may route the data pass through the flusher instead.
     */
    public void sync(TraceContext ctx) {
        locked(ctx, () -> {
            List<Ext4InodeInfo> dirtyOnes = new ArrayList<>();
            for (Ext4InodeInfo ei : sb.inodes()) {
                if (ei.pages.dirtyPages() > 0) {
                    dirtyOnes.add(ei);
                }
            }
            dirtyOnes.sort(java.util.Comparator.comparingInt(e -> e.ino));
            for (Ext4InodeInfo ei : dirtyOnes) {
                writebackSingleInode(ctx, ei, WritebackControl.sync());
            }
            fsync.syncFs(ctx, false);
        });
        fsync.syncFs(ctx, true);
    }

    /** ext4_put_super: sync, jbd2_journal_flush (commit and checkpoint everything), then the clean superblock. */
    public void unmount(TraceContext ctx) {
        runDioWork();
        locked(ctx, () -> {
            // the tasks still holding files exit before a umount can go: the last fput of an unlinked inode frees it
            List<Ext4InodeInfo> unlinked = new ArrayList<>();
            for (Ext4InodeInfo ei : sb.inodes()) {
                if (ei.openCount > 0 && ei.nlink() == 0) {
                    unlinked.add(ei);
                }
            }
            for (Ext4InodeInfo ei : unlinked) {
                ei.openCount = 0;
                ei.writers = 0;
                evict.evict(ctx, ei);
            }
        });
        sync(ctx);
        sb.journal.flush(ctx);
        locked(ctx, () -> sb.writeCleanSuper(ctx));
    }
}
