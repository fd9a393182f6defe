package dev.ext4sim.writeback.wb;

import static dev.ext4sim.writeback.wb.InodeState.I_DIRTY;
import static dev.ext4sim.writeback.wb.InodeState.I_DIRTY_ALL;
import static dev.ext4sim.writeback.wb.InodeState.I_DIRTY_INODE;
import static dev.ext4sim.writeback.wb.InodeState.I_DIRTY_PAGES;
import static dev.ext4sim.writeback.wb.InodeState.I_DIRTY_TIME;
import static dev.ext4sim.writeback.wb.InodeState.I_DIRTY_TIME_EXPIRED;
import static dev.ext4sim.writeback.wb.InodeState.I_FREEING;
import static dev.ext4sim.writeback.wb.InodeState.I_NEW;
import static dev.ext4sim.writeback.wb.InodeState.I_SYNC;
import static dev.ext4sim.writeback.wb.InodeState.I_SYNC_QUEUED;
import static dev.ext4sim.writeback.wb.InodeState.I_WILL_FREE;
import static dev.ext4sim.writeback.wb.WritebackControl.WB_SYNC_ALL;
import static dev.ext4sim.writeback.wb.WritebackControl.WB_SYNC_NONE;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * fs/fs-writeback.c: queueing dirty inodes (__mark_inode_dirty), queueing work (wb_queue_work,
 * wb_start_writeback, wb_start_background_writeback, sync_inodes_sb) and the flusher itself, as the 4.x call
 * graph runs it: wb_workfn > wb_do_writeback > (work items | wb_check_old_data_flush | wb_check_background_flush)
 * > wb_writeback > queue_io > __writeback_inodes_wb > writeback_sb_inodes > __writeback_single_inode >
 * do_writepages (a call into ext4), then requeue_inode. The wb's list_lock is dropped around the call into ext4,
 * while the inode carries I_SYNC; an inode dirtied meanwhile only gets its bits, requeue_inode places it after.
 */
public final class FsWriteback {
    private static final Logger log = LoggerFactory.getLogger(FsWriteback.class);
    /** MIN_WRITEBACK_PAGES: 4 MiB worth of pages; chunks are multiples of it. */
    static final long MIN_WRITEBACK_PAGES = 4096L >> (12 - 10);
    /** DIRTY_SCOPE: a chunk is at most 1/8 of the dirty limit. */
    static final long DIRTY_SCOPE = 8;

    private final Sysctl sysctl;
    private final PageWriteback pw;
    private final VmStat vm;
    private final Ext4Port ext4;
    private final WritebackTrace trace;
    private final Jiffies jiffies;
    private final WritebackStats stats;
    private volatile BdevPort bdev = BdevPort.NONE;
    private volatile BlkPlug blkPlug = BlkPlug.NONE;

    public FsWriteback(Sysctl sysctl, PageWriteback pw, VmStat vm, Ext4Port ext4, WritebackTrace trace, Jiffies jiffies) {
        this(sysctl, pw, vm, ext4, trace, jiffies, WritebackStats.NONE);
    }

    /** Who writes the block device inode's pages (jbd2-service in the service). */
    void bdevPort(BdevPort port) {
        this.bdev = Objects.requireNonNull(port);
    }

    /** Who ends the block plug around wb_writeback's round (blockdev-service in the service). */
    void blkPlug(BlkPlug port) {
        this.blkPlug = Objects.requireNonNull(port);
    }

    public FsWriteback(Sysctl sysctl, PageWriteback pw, VmStat vm, Ext4Port ext4, WritebackTrace trace, Jiffies jiffies,
                       WritebackStats stats) {
        this.stats = Objects.requireNonNull(stats);
        this.sysctl = Objects.requireNonNull(sysctl);
        this.pw = Objects.requireNonNull(pw);
        this.vm = Objects.requireNonNull(vm);
        this.ext4 = Objects.requireNonNull(ext4);
        this.trace = Objects.requireNonNull(trace);
        this.jiffies = Objects.requireNonNull(jiffies);
    }

    private long dirtyWritebackInterval() {
        return sysctl.get(Sysctl.DIRTY_WRITEBACK_CENTISECS);
    }

    private Duration centisecs(long cs) {
        return jiffies.toDuration(jiffies.msecs_to_jiffies(cs * 10));
    }

    // ---- queueing dirty inodes --------------------------------------------------------------------------------

    /** What __mark_inode_dirty did: whether the inode joined a dirty list now, and the dirtied_when it keeps. */
    public record Marked(boolean enqueued, long dirtiedWhen, int state) {
    }

    /**
     * __mark_inode_dirty, the list half (ext4 did ext4_dirty_inode): sets the bits; an inode that was not dirty takes
     * {@code dirtiedWhen} and goes to the head of b_dirty (b_dirty_time when only its times are dirty), and if that
     * gave the wb its first dirty inode the flusher is armed (wb_wakeup_delayed). An inode already dirty keeps its
     * place and its first dirtied_when; one under writeback (I_SYNC) only gets the bits.
     */
    Marked __mark_inode_dirty(BdiWriteback wb, int dev, long ino, int flags, long dirtiedWhen) {
        return __mark_inode_dirty(wb, dev, ino, flags, dirtiedWhen, false);
    }

    /** The same for an inode that may be the block device's ({@code blockdev}: i_mode S_IFBLK). */
    Marked __mark_inode_dirty(BdiWriteback wb, int dev, long ino, int flags, long dirtiedWhen, boolean blockdev) {
        boolean wakeup;
        WbInode inode;
        wb.listLock.lock();
        try {
            inode = wb.inodes.get(new WbInode.Key(dev, ino));
            if (inode == null) {
                inode = new WbInode(dev, ino);
            }
            inode.blockdev |= blockdev;
            if ((flags & I_DIRTY_INODE) != 0) {
                flags &= ~I_DIRTY_TIME;
            }
            boolean dirtytime = (flags & I_DIRTY_TIME) != 0;
            if ((inode.state & flags) == flags || (dirtytime && (inode.state & I_DIRTY_INODE) != 0)) {
                return new Marked(false, inode.dirtiedWhen, inode.state);
            }
            int wasDirty = inode.state & I_DIRTY;
            // an evicted inode number dirtied again is a new file: it must not leave the lists with the old one
            inode.state &= ~I_FREEING;
            if ((flags & I_DIRTY_INODE) != 0) {
                inode.state &= ~I_DIRTY_TIME;
            }
            inode.state |= flags;
            if ((inode.state & (I_SYNC | I_SYNC_QUEUED)) != 0 || wasDirty != 0) {
                // under writeback: requeue_inode places it; already listed: moving it would break b_dirty's order
                wb.inodes.put(inode.key(), inode);
                return new Marked(false, inode.dirtiedWhen, inode.state);
            }
            inode.dirtiedWhen = dirtiedWhen;
            if (dirtytime) {
                inode.dirtiedTimeWhen = dirtiedWhen;
            }
            IoList dirtyList = (inode.state & (I_DIRTY_INODE | I_DIRTY_PAGES)) != 0 ? wb.bDirty : wb.bDirtyTime;
            wakeup = wb.inode_io_list_move_locked(inode, dirtyList);
        } finally {
            wb.listLock.unlock();
        }
        if (wakeup) {
            wb_wakeup_delayed(wb);
        }
        return new Marked(true, inode.dirtiedWhen, inode.state);
    }

    /**
     * evict → inode_io_list_del: an inode ext4 dropped (unlinked and evicted) leaves the lists; one being written
     * is marked I_FREEING and leaves when its writeback ends. Returns whether writeback held it.
     */
    boolean evict(BdiWriteback wb, int dev, long ino) {
        wb.listLock.lock();
        try {
            WbInode inode = wb.inodes.get(new WbInode.Key(dev, ino));
            if (inode == null) {
                return false;
            }
            if ((inode.state & I_SYNC) != 0) {
                inode.state |= I_FREEING;
            } else {
                wb.inode_io_list_del_locked(inode);
            }
            return true;
        } finally {
            wb.listLock.unlock();
        }
    }

    /** generic_shutdown_super's evict_inodes: every inode of the superblock on {@code dev} leaves the lists. */
    int evict_inodes(BdiWriteback wb, int dev) {
        wb.listLock.lock();
        try {
            int n = 0;
            for (WbInode inode : java.util.List.copyOf(wb.inodes.values())) {
                if (inode.dev == dev) {
                    n++;
                    if ((inode.state & I_SYNC) != 0) {
                        inode.state |= I_FREEING;
                    } else {
                        wb.inode_io_list_del_locked(inode);
                    }
                }
            }
            return n;
        } finally {
            wb.listLock.unlock();
        }
    }

    /**
     * wb_wakeup_delayed: arm the flusher to run dirty_writeback_interval from now, unless it is already pending. The
     * 6.x profile's timer fires on the timer wheel's bucket (every 5.12 s at HZ 250, as the capture shows); the 4.x
     * profile's after exactly the interval.
     */
    void wb_wakeup_delayed(BdiWriteback wb) {
        Duration timeout = centisecs(dirtyWritebackInterval());
        if (trace.v6()) {
            long now = jiffies.now();
            long fires = TimerWheel.bucketExpiry(now, now + jiffies.msecs_to_jiffies(dirtyWritebackInterval() * 10));
            timeout = jiffies.untilJiffy(fires);
        }
        if (wb.registered) {
            wb.dwork.queue_delayed_work(timeout);
        }
    }

    /** wb_wakeup: run the flusher now. */
    void wb_wakeup(BdiWriteback wb) {
        if (wb.registered) {
            wb.dwork.mod_delayed_work(Duration.ZERO);
        }
    }

    // ---- queueing work ---------------------------------------------------------------------------------------

    /** wb_queue_work: traced in the caller, then onto work_list and the flusher kicked. */
    void wb_queue_work(BdiWriteback wb, WbWritebackWork work, TraceContext caller) {
        trace.writeback_queue(caller, wb, work);
        wb.listLock.lock();
        boolean queued;
        try {
            queued = wb.registered;
            if (queued) {
                wb.workList.addLast(work);
            }
        } finally {
            wb.listLock.unlock();
        }
        if (queued) {
            wb.dwork.mod_delayed_work(Duration.ZERO);
        } else {
            work.done.complete(null);
        }
    }

    /**
     * wb_start_writeback (4.x): WB_SYNC_NONE work for {@code nrPages} pages, what wakeup_flusher_threads queues
     * ("start all"); nothing when the wb has no dirty io.
     */
    WbWritebackWork wb_start_writeback(BdiWriteback wb, long nrPages, boolean rangeCyclic, WbReason reason,
                                       TraceContext caller) {
        wb.listLock.lock();
        try {
            if (!wb.wb_has_dirty_io()) {
                return null;
            }
        } finally {
            wb.listLock.unlock();
        }
        WbWritebackWork work = new WbWritebackWork(nrPages, 0, WB_SYNC_NONE, false, false, rangeCyclic, false, false,
                reason, caller);
        wb_queue_work(wb, work, caller);
        return work;
    }

    /** wb_start_background_writeback: a writer over the background threshold wakes the flusher. */
    void wb_start_background_writeback(BdiWriteback wb, TraceContext caller) {
        trace.writeback_wake_background(caller, wb);
        wb_wakeup(wb);
    }

    /** sync_inodes_sb's work: every dirty inode of {@code sb}, WB_SYNC_ALL, for_sync; done when written. */
    WbWritebackWork sync_inodes_sb(BdiWriteback wb, int sb, TraceContext caller) {
        WbWritebackWork work = new WbWritebackWork(Long.MAX_VALUE, sb, WB_SYNC_ALL, false, false, false, false, true,
                WbReason.WB_REASON_SYNC, caller);
        wb_queue_work(wb, work, caller);
        return work;
    }

    /** get_nr_dirty_pages: dirty pages plus dirty inodes (each inode's metadata counts as a page to write). */
    long get_nr_dirty_pages(BdiWriteback wb) {
        wb.listLock.lock();
        try {
            return vm.nr_file_dirty() + wb.inodes.size();
        } finally {
            wb.listLock.unlock();
        }
    }

    // ---- the flusher -----------------------------------------------------------------------------------------

    /**
     * The end of the round (6.x): the bios ext4's writepages put in the kworker's plug have completed, and ext4 runs
     * their end_io work. A filesystem that does not answer converts at its next call instead.
     */
    private void finishPlug(BdiWriteback wb, TraceContext ctx) {
        eachDevice(wb, wb.plugged, dev -> ext4.finishPlug(dev, ctx), "ext4's end_io work");
    }

    /** Calls {@code call} for each of {@code devs}, then empties it; a failure is logged, as nothing waits for it. */
    private static void eachDevice(BdiWriteback wb, java.util.Set<Integer> devs, java.util.function.IntConsumer call,
                                   String what) {
        for (int dev : devs) {
            try {
                call.accept(dev);
            } catch (RuntimeException e) {
                log.warn("{} on {} for bdi {} failed: {}", what, dev, wb.name(), e.getMessage());
            }
        }
        devs.clear();
    }

    /** wb_workfn: the delayed work, in the kworker. Writes until work_list is empty, then re-arms if dirty io is left. */
    void wb_workfn(BdiWriteback wb) {
        TraceContext ctx = TraceContext.of(wb.worker);
        try {
            boolean more;
            do {
                long pagesWritten = wb_do_writeback(wb, ctx);
                trace.writeback_pages_written(ctx, pagesWritten);
                finishPlug(wb, ctx);
                wb.listLock.lock();
                try {
                    more = !wb.workList.isEmpty();
                } finally {
                    wb.listLock.unlock();
                }
            } while (more);
        } catch (RuntimeException e) {
            log.error("wb_workfn on bdi {} failed; dirty inodes stay queued", wb.name(), e);
        }
        boolean moreWork;
        boolean rearm;
        wb.listLock.lock();
        try {
            moreWork = !wb.workList.isEmpty();
            rearm = wb.wb_has_dirty_io() && dirtyWritebackInterval() != 0;
        } finally {
            wb.listLock.unlock();
        }
        if (moreWork) {
            wb.dwork.mod_delayed_work(Duration.ZERO);
        } else if (rearm) {
            wb_wakeup_delayed(wb);
        }
    }

    /** wb_do_writeback: the queued works, then the kupdate-style flush, then the background flush. */
    long wb_do_writeback(BdiWriteback wb, TraceContext kworker) {
        long wrote = 0;
        wb.writebackRunning = true;
        try {
            WbWritebackWork work;
            while ((work = get_next_work_item(wb)) != null) {
                TraceContext ctx = work.requester == null ? kworker
                        : new TraceContext(work.requester.traceId(), wb.worker);
                trace.writeback_exec(ctx, wb, work);
                try {
                    wrote += wb_writeback(wb, work, ctx);
                } finally {
                    work.done.complete(null); // finish_writeback_work
                }
            }
            wrote += wb_check_old_data_flush(wb, kworker);
            wrote += wb_check_background_flush(wb, kworker);
        } finally {
            wb.writebackRunning = false;
        }
        return wrote;
    }

    private WbWritebackWork get_next_work_item(BdiWriteback wb) {
        wb.listLock.lock();
        try {
            return wb.workList.pollFirst();
        } finally {
            wb.listLock.unlock();
        }
    }

    /** wb_check_old_data_flush: every dirty_writeback_interval, a kupdate pass over the expired inodes. */
    long wb_check_old_data_flush(BdiWriteback wb, TraceContext ctx) {
        long interval = dirtyWritebackInterval();
        if (interval == 0) {
            return 0;
        }
        long now = jiffies.now();
        long expired = wb.lastOldFlush + jiffies.msecs_to_jiffies(interval * 10);
        if (Jiffies.time_before(now, expired)) {
            return 0;
        }
        wb.lastOldFlush = now;
        long nrPages = get_nr_dirty_pages(wb);
        if (nrPages == 0) {
            return 0;
        }
        WbWritebackWork work = new WbWritebackWork(nrPages, 0, WB_SYNC_NONE, false, true, true, false, false,
                WbReason.WB_REASON_PERIODIC, null);
        return wb_writeback(wb, work, ctx);
    }

    /** wb_check_background_flush: over the background threshold, write until under it. */
    long wb_check_background_flush(BdiWriteback wb, TraceContext ctx) {
        if (pw.wb_over_bg_thresh(wb, ctx)) {
            WbWritebackWork work = new WbWritebackWork(Long.MAX_VALUE, 0, WB_SYNC_NONE, false, false, true, true, false,
                    WbReason.WB_REASON_BACKGROUND, null);
            return wb_writeback(wb, work, ctx);
        }
        return 0;
    }

    /**
     * wb_writeback: passes of queue_io + __writeback_inodes_wb (or writeback_sb_inodes for one sb) until the work's
     * pages are done, nothing more is expired, or (kupdate/background) other work waits or we are under the
     * background threshold. Returns the pages written.
     */
    long wb_writeback(BdiWriteback wb, WbWritebackWork work, TraceContext ctx) {
        long nrPages = work.nrPages;
        boolean waited = false;
        work.olderThanThis = jiffies.now();
        while (true) {
            if (work.nrPages <= 0) {
                break;
            }
            wb.listLock.lock();
            boolean otherWork;
            try {
                otherWork = !wb.workList.isEmpty();
            } finally {
                wb.listLock.unlock();
            }
            if ((work.forBackground || work.forKupdate) && otherWork) {
                break;
            }
            if (work.forBackground && !pw.wb_over_bg_thresh(wb, ctx)) {
                break;
            }
            if (work.forKupdate) {
                work.olderThanThis = jiffies.now()
                        - jiffies.msecs_to_jiffies(sysctl.get(Sysctl.DIRTY_EXPIRE_CENTISECS) * 10);
            } else if (work.forBackground) {
                work.olderThanThis = jiffies.now();
            }
            trace.writeback_start(ctx, wb, work);
            wb.listLock.lock();
            try {
                if (wb.bIo.isEmpty()) {
                    queue_io(wb, work, ctx);
                }
            } finally {
                wb.listLock.unlock();
            }
            long progress = work.sb != 0 ? writeback_sb_inodes(work.sb, wb, work, ctx) : __writeback_inodes_wb(wb, work, ctx);
            trace.writeback_written(ctx, wb, work);
            if (progress != 0) {
                waited = false;
                continue;
            }
            wb.listLock.lock();
            try {
                if (wb.bMoreIo.isEmpty()) {
                    break;
                }
            } finally {
                wb.listLock.unlock();
            }
            // nothing written but inodes wait on b_more_io: the kernel sleeps on the busy one's I_SYNC; here
            // only this flusher sets I_SYNC, so the next pass can take them at once, and a second empty pass ends it
            trace.writeback_wait(ctx, wb, work);
            if (waited) {
                break;
            }
            waited = true;
        }
        blk_finish_plug(wb, ctx);
        stats.wb_writeback(work.reason, nrPages - work.nrPages);
        return nrPages - work.nrPages;
    }

    /**
     * wb_writeback's blk_finish_plug (6.x): the bios the round's writepages left in the kworker's plug are issued, so
     * the block layer traces their unplug here, before wb_workfn's writeback_pages_written. A device that does not
     * answer loses nothing: the bios were already complete.
     */
    private void blk_finish_plug(BdiWriteback wb, TraceContext ctx) {
        eachDevice(wb, wb.blkPlugged, dev -> blkPlug.blk_finish_plug(dev, ctx), "blk_finish_plug");
    }

    /** queue_io: b_more_io back to b_io, then the expired inodes of b_dirty (and b_dirty_time). list_lock held. */
    void queue_io(BdiWriteback wb, WbWritebackWork work, TraceContext ctx) {
        wb.bIo.spliceInit(wb.bMoreIo);
        int moved = move_expired_inodes(wb, wb.bDirty, wb.bIo, false, work);
        moved += move_expired_inodes(wb, wb.bDirtyTime, wb.bIo, true, work);
        trace.writeback_queue_io(ctx, wb, work, moved);
    }

    /**
     * move_expired_inodes: from the tail (oldest) of {@code delaying} while not dirtied after older_than_this, onto
     * the head of {@code dispatch}, keeping their order. For b_dirty_time the expiry is dirtytime_expire_interval,
     * none for sync.
     */
    private int move_expired_inodes(BdiWriteback wb, IoList delaying, IoList dispatch, boolean dirtyAtime,
                                    WbWritebackWork work) {
        Long olderThanThis = null;
        if (!dirtyAtime) {
            olderThanThis = work.olderThanThis;
        } else if (!work.forSync) {
            olderThanThis = jiffies.now() - sysctl.get(Sysctl.DIRTYTIME_EXPIRE_SECONDS) * jiffies.hz();
        }
        IoList tmp = new IoList("tmp");
        int moved = 0;
        while (!delaying.isEmpty()) {
            WbInode inode = delaying.last();
            long when = dirtyAtime ? inode.dirtiedTimeWhen : inode.dirtiedWhen;
            if (olderThanThis != null && Jiffies.time_after(when, olderThanThis)) {
                break;
            }
            tmp.move(inode);
            moved++;
            if (trace.v6()) {
                inode.state |= I_SYNC_QUEUED; // 5.9+: the flusher owns its place until requeue_inode
            }
            if (dirtyAtime) {
                inode.state |= I_DIRTY_TIME_EXPIRED;
            }
        }
        dispatch.spliceInit(tmp);
        return moved;
    }

    /** __writeback_inodes_wb: b_io superblock by superblock. */
    long __writeback_inodes_wb(BdiWriteback wb, WbWritebackWork work, TraceContext ctx) {
        long startTime = jiffies.now();
        long wrote = 0;
        while (true) {
            int sb;
            wb.listLock.lock();
            try {
                if (wb.bIo.isEmpty()) {
                    break;
                }
                sb = wb.bIo.last().dev;
            } finally {
                wb.listLock.unlock();
            }
            wrote += writeback_sb_inodes(sb, wb, work, ctx);
            if (wrote != 0) {
                if (Jiffies.time_before(startTime + jiffies.hz() / 10, jiffies.now())) {
                    break;
                }
                if (work.nrPages <= 0) {
                    break;
                }
            }
        }
        return wrote;
    }

    /** writeback_chunk_size: everything for integrity sync, else a bandwidth- and limit-sized multiple of 4 MiB. */
    long writeback_chunk_size(BdiWriteback wb, WbWritebackWork work) {
        if (work.syncMode == WB_SYNC_ALL || work.taggedWritepages) {
            return Long.MAX_VALUE;
        }
        long pages = Math.min(wb.avgWriteBandwidth / 2, pw.dirty_limit() / DIRTY_SCOPE);
        pages = Math.min(pages, work.nrPages);
        return (pages + MIN_WRITEBACK_PAGES) / MIN_WRITEBACK_PAGES * MIN_WRITEBACK_PAGES;
    }

    /**
     * writeback_sb_inodes: the inodes of {@code sb} from the tail of b_io, each written with a chunk of the work's
     * pages and requeued. Returns pages written plus inodes made clean (the kernel's progress count).
     */
    long writeback_sb_inodes(int sb, BdiWriteback wb, WbWritebackWork work, TraceContext ctx) {
        long startTime = jiffies.now();
        long wrote = 0;
        while (true) {
            WbInode inode;
            WritebackControl wbc;
            wb.listLock.lock();
            try {
                if (wb.bIo.isEmpty()) {
                    break;
                }
                inode = wb.bIo.last();
                if (inode.dev != sb) {
                    if (work.sb != 0) {
                        redirty_tail(inode, wb);
                        continue;
                    }
                    break; // another superblock: back to __writeback_inodes_wb
                }
                if ((inode.state & (I_NEW | I_FREEING | I_WILL_FREE)) != 0) {
                    redirty_tail(inode, wb);
                    continue;
                }
                if ((inode.state & I_SYNC) != 0) {
                    // being written by someone else: not for us now (a WB_SYNC_ALL pass would wait for it)
                    requeue_io(inode, wb);
                    trace.writeback_sb_inodes_requeue(ctx, wb, inode);
                    continue;
                }
                inode.state |= I_SYNC;
                long writeChunk = writeback_chunk_size(wb, work);
                wbc = new WritebackControl(writeChunk, work.syncMode, work.forKupdate, work.forBackground, work.forSync,
                        work.rangeCyclic, 0, WritebackControl.LLONG_MAX, work.reason);
            } finally {
                wb.listLock.unlock();
            }

            long left = __writeback_single_inode(wb, inode, wbc, ctx);
            long written = wbc.nrToWrite() - left;
            // the block device's pages are not in this service's NR_FILE_DIRTY (jbd2 reports none), so the work's
            // page budget, counted from it, does not pay for them
            work.nrPages -= inode.blockdev ? 0 : written;
            wrote += written;

            wb.listLock.lock();
            try {
                if ((inode.state & I_DIRTY_ALL) == 0) {
                    wrote++;
                }
                requeue_inode(inode, wb, wbc.syncMode(), left);
                inode.state &= ~I_SYNC; // inode_sync_complete
                if ((inode.state & I_FREEING) != 0) {
                    wb.inode_io_list_del_locked(inode); // evicted while we wrote it: evict() waited for I_SYNC
                }
            } finally {
                wb.listLock.unlock();
            }
            if (wrote != 0) {
                if (Jiffies.time_before(startTime + jiffies.hz() / 10, jiffies.now())) {
                    break;
                }
                if (work.nrPages <= 0) {
                    break;
                }
            }
        }
        return wrote;
    }

    /**
     * __writeback_single_inode: do_writepages (ext4), then the metadata bits are cleared and, if any were set,
     * write_inode. The dirty-pages bit is taken before the call, so pages ext4 reports dirtied meanwhile set it again;
     * after the call it is set again when ext4 says pages are left or the call failed (nothing is lost: the pages
     * stay dirty in ext4 and the inode is retried later). Returns wbc->nr_to_write after the call.
     */
    long __writeback_single_inode(BdiWriteback wb, WbInode inode, WritebackControl wbc, TraceContext ctx) {
        long nrToWrite = wbc.nrToWrite();
        wb.listLock.lock();
        try {
            trace.writeback_single_inode_start(ctx, wb, inode, nrToWrite, 0);
            inode.state &= ~I_DIRTY_PAGES;
        } finally {
            wb.listLock.unlock();
        }
        Ext4Port.Written w = null;
        RuntimeException failed = null;
        try {
            w = inode.blockdev ? bdev.writepages(inode.dev, wbc, ctx) : ext4.writepages(inode.dev, inode.ino, wbc, ctx);
        } catch (RuntimeException e) {
            // any failure of the call leaves the pages dirty in ext4; only "no such inode" means there is nothing left
            if (e instanceof ErrnoException ee && (ee.errno() == Errno.ENOENT || ee.errno() == Errno.ESTALE)) {
                // the inode is gone (unlinked and evicted, or a filesystem remounted): nothing left to write
                wb.listLock.lock();
                try {
                    inode.state |= I_FREEING;
                } finally {
                    wb.listLock.unlock();
                }
            } else {
                failed = e;
                log.warn("writeback of inode {} on bdi {} failed, retried later: {}", inode.ino, wb.name(),
                        e.getMessage());
            }
        }
        long written = w == null ? 0 : Math.clamp(w.pagesWritten(), 0, nrToWrite);
        if (written > 0 && trace.v6()) {
            wb.blkPlugged.add(inode.dev);
            if (!inode.blockdev) {
                wb.plugged.add(inode.dev);
            }
        }
        long left = nrToWrite - written;
        int dirty;
        wb.listLock.lock();
        try {
            // the bits ext4 set while the inode carried I_SYNC (delalloc's quota claim) are taken with the rest
            dirty = (inode.state | (w == null ? 0 : w.inodeDirty() & I_DIRTY_INODE)) & I_DIRTY;
            if ((inode.state & I_DIRTY_TIME) != 0) {
                if ((dirty & I_DIRTY_INODE) != 0 || wbc.syncMode() == WB_SYNC_ALL
                        || (inode.state & I_DIRTY_TIME_EXPIRED) != 0
                        || Jiffies.time_after(jiffies.now(), inode.dirtiedTimeWhen
                        + sysctl.get(Sysctl.DIRTYTIME_EXPIRE_SECONDS) * jiffies.hz())) {
                    dirty |= I_DIRTY_TIME | I_DIRTY_TIME_EXPIRED;
                }
            } else {
                inode.state &= ~I_DIRTY_TIME_EXPIRED;
            }
            inode.state &= ~dirty;
            if (failed != null || (w != null && w.stillDirty())) {
                inode.state |= I_DIRTY_PAGES; // mapping_tagged(PAGECACHE_TAG_DIRTY)
            }
            if (w != null) {
                inode.writebackIndex = w.writebackIndex();
            }
        } finally {
            wb.listLock.unlock();
        }
        if ((dirty & ~I_DIRTY_PAGES) != 0) {
            write_inode(wb, inode, wbc, ctx, dirty);
        }
        wb.listLock.lock();
        try {
            trace.writeback_single_inode(ctx, wb, inode, nrToWrite, written);
        } finally {
            wb.listLock.unlock();
        }
        return left;
    }

    /** write_inode: ext4_write_inode between its two tracepoints; on failure the metadata bits come back. */
    private void write_inode(BdiWriteback wb, WbInode inode, WritebackControl wbc, TraceContext ctx, int dirty) {
        trace.writeback_write_inode_start(ctx, wb, inode, wbc.syncMode());
        try {
            ext4.write_inode(inode.dev, inode.ino, wbc, ctx);
        } catch (RuntimeException e) {
            wb.listLock.lock();
            try {
                inode.state |= dirty & I_DIRTY_INODE;
            } finally {
                wb.listLock.unlock();
            }
            log.warn("write_inode of inode {} failed, retried later: {}", inode.ino, e.getMessage());
        }
        trace.writeback_write_inode(ctx, wb, inode, wbc.syncMode());
    }

    /**
     * requeue_inode: where an inode goes after its turn. Pages left and the chunk used up: b_more_io (next in line);
     * pages left otherwise (blocked, failed) or redirtied: redirty_tail; only times dirty: b_dirty_time; clean: off
     * the lists. A WB_SYNC_ALL pass restamps a still-dirty inode so sync does not livelock on it. list_lock held.
     */
    void requeue_inode(WbInode inode, BdiWriteback wb, int syncMode, long nrToWriteLeft) {
        if ((inode.state & I_FREEING) != 0) {
            return;
        }
        if ((inode.state & I_DIRTY) != 0 && syncMode == WB_SYNC_ALL) {
            inode.dirtiedWhen = jiffies.now();
        }
        if ((inode.state & I_DIRTY_PAGES) != 0) {
            if (nrToWriteLeft <= 0) {
                requeue_io(inode, wb);
            } else {
                redirty_tail(inode, wb);
            }
        } else if ((inode.state & I_DIRTY) != 0) {
            redirty_tail(inode, wb);
        } else if ((inode.state & I_DIRTY_TIME) != 0) {
            inode.dirtiedWhen = jiffies.now();
            wb.inode_io_list_move_locked(inode, wb.bDirtyTime);
            inode.state &= ~I_SYNC_QUEUED;
        } else {
            wb.inode_io_list_del_locked(inode);
        }
    }

    /**
     * redirty_tail: back to the head of b_dirty; if it is older than the newest there its dirtied_when becomes now,
     * so b_dirty stays ordered by dirtied_when. list_lock held.
     */
    void redirty_tail(WbInode inode, BdiWriteback wb) {
        if (!wb.bDirty.isEmpty()) {
            WbInode tail = wb.bDirty.first();
            if (tail != inode && Jiffies.time_before(inode.dirtiedWhen, tail.dirtiedWhen)) {
                inode.dirtiedWhen = jiffies.now();
            }
        }
        wb.inode_io_list_move_locked(inode, wb.bDirty);
        inode.state &= ~I_SYNC_QUEUED;
    }

    /** requeue_io: to b_more_io, taken again at the next queue_io. list_lock held. */
    void requeue_io(WbInode inode, BdiWriteback wb) {
        wb.inode_io_list_move_locked(inode, wb.bMoreIo);
    }
}
