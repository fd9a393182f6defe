package dev.ext4sim.writeback.wb;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceClock;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Function;

/**
 * The writeback side of the kernel as one object for the service's adapters: the bdis (bdi_init/wb_init on a
 * device announcement), the notifications ext4 sends (inodes dirtied, page counts), sync(2), the writer throttle,
 * the sysctls and the rebuild after a restart. Every input is checked first: bad input gets an errno and changes
 * nothing.
 */
public final class Writeback implements AutoCloseable {
    /**
     * @param dirtyableMemoryBytes what the dirty ratios are a ratio of (the simulated machine's dirtyable memory)
     * @param hz                   jiffies per second
     * @param firstWorkerId        the N of the first flusher, {@code kworker/u16:N}
     * @param firstWorkerPid       its pid; the next bdi's flusher takes the next id and pid
     */
    public record Config(long dirtyableMemoryBytes, int hz, int firstWorkerId, int firstWorkerPid) {
        public static Config defaults() {
            return new Config(1L << 30, Jiffies.HZ, 2, 89);
        }
    }

    /** i_mode's file type bits and a block device's (include/uapi/linux/stat.h). */
    static final int S_IFMT = 0170000;
    static final int S_IFBLK = 0060000;

    private final Config config;
    private final Ext4Port ext4;
    private final Scheduler scheduler;
    private final Function<Task, Workqueue> workqueues;
    private final Jiffies jiffies;
    private final Sysctl sysctl = new Sysctl();
    private final VmStat vm = new VmStat();
    private final PageCounters counters = new PageCounters(vm);
    private final WritebackTrace trace;
    private final PageWriteback pw;
    private final FsWriteback fs;
    private final Map<String, BdiWriteback> bdis = new ConcurrentSkipListMap<>();
    private final Map<String, Set<Integer>> superblocks = new ConcurrentHashMap<>();
    private final List<AutoCloseable> workers = new ArrayList<>();

    /**
     * @param workqueues the worker for a flusher task: {@link Kworker} in the service, {@link Workqueue#INLINE} in
     *                   tests
     */
    public Writeback(Config config, Ext4Port ext4, Tracer tracer, TraceClock clock, Scheduler scheduler,
                     Function<Task, Workqueue> workqueues) {
        this(config, ext4, tracer, clock, scheduler, workqueues, WritebackStats.NONE);
    }

    /** @param stats told of every wb_writeback pass (reason, pages), for the service's metrics */
    public Writeback(Config config, Ext4Port ext4, Tracer tracer, TraceClock clock, Scheduler scheduler,
                     Function<Task, Workqueue> workqueues, WritebackStats stats) {
        this.config = Objects.requireNonNull(config);
        this.ext4 = Objects.requireNonNull(ext4);
        this.scheduler = Objects.requireNonNull(scheduler);
        this.workqueues = Objects.requireNonNull(workqueues);
        this.jiffies = new Jiffies(clock, config.hz());
        this.trace = new WritebackTrace(tracer, jiffies);
        this.pw = new PageWriteback(sysctl, vm, jiffies, trace, config.dirtyableMemoryBytes());
        this.fs = new FsWriteback(sysctl, pw, vm, ext4, trace, jiffies, stats);
        sysctl.addListener((name, value) -> {
            if (name.equals(Sysctl.DIRTY_WRITEBACK_CENTISECS)) {
                dirty_writeback_centisecs_handler(value);
            }
        });
    }

    /** In the service: one {@link Kworker} virtual thread per flusher. */
    public static Function<Task, Workqueue> kworkers() {
        return Kworker::new;
    }

    /** Who writes the block device inode's pages: jbd2-service, which exposes the journal's metadata there. */
    public void bdevPort(BdevPort port) {
        fs.bdevPort(port);
    }

    /** Who ends the plug the flusher holds around a round: blockdev-service, in the service. */
    public void blkPlug(BlkPlug port) {
        fs.blkPlug(port);
    }

    public Sysctl sysctl() {
        return sysctl;
    }

    public VmStat vmstat() {
        return vm;
    }

    public PageWriteback pageWriteback() {
        return pw;
    }

    public Jiffies jiffies() {
        return jiffies;
    }

    // ---- mm/backing-dev.c ------------------------------------------------------------------------------------

    /**
     * bdi_init + wb_init + bdi_register for an announced disk; the same disk announced again (blockdev restarted)
     * keeps its wb, whose lists describe ext4's page cache, not the device's.
     */
    public synchronized BdiWriteback bdi_register(BlockIo.DeviceAdded d) {
        if (d == null || d.bdi() == null || d.bdi().isBlank()) {
            throw new ErrnoException(Errno.EINVAL, "a device announcement needs its bdi name");
        }
        BdiWriteback existing = bdis.get(d.bdi());
        if (existing != null) {
            return existing;
        }
        List<Integer> parts = d.partitions() == null ? List.of()
                : d.partitions().stream().map(p -> BackingDevInfo.MKDEV(p.major(), p.minor())).toList();
        BackingDevInfo bdi = new BackingDevInfo(d.bdi(), d.disk(), BackingDevInfo.MKDEV(d.major(), d.minor()), parts);
        int n = bdis.size();
        Task worker = new Task("kworker/u16:" + (config.firstWorkerId() + n), config.firstWorkerPid() + n);
        Workqueue wq = workqueues.apply(worker);
        if (wq instanceof AutoCloseable c) {
            workers.add(c);
        }
        BdiWriteback wb = new BdiWriteback(bdi, jiffies.now(), worker, wq, scheduler, fs::wb_workfn);
        bdis.put(d.bdi(), wb);
        return wb;
    }

    public List<BdiWriteback> bdis() {
        return List.copyOf(bdis.values());
    }

    /** The wb that writes back a superblock on {@code dev} (a partition's or the disk's dev_t); ENODEV if none. */
    public BdiWriteback wbOf(int dev) {
        for (BdiWriteback wb : bdis.values()) {
            if (wb.bdi.serves(dev)) {
                return wb;
            }
        }
        throw new ErrnoException(Errno.ENODEV, "no backing device for dev " + (dev >>> 20) + "," + (dev & 0xFFFFF)
                + ": its disk has not been announced");
    }

    private BdiWriteback mounted(int dev) {
        BdiWriteback wb = wbOf(dev);
        superblocks.computeIfAbsent(wb.name(), k -> ConcurrentHashMap.newKeySet()).add(dev);
        return wb;
    }

    // ---- notifications from ext4 -----------------------------------------------------------------------------

    /**
     * __mark_inode_dirty for inode {@code ino} of the filesystem on {@code dev}, stamped now as the kernel stamps it
     * (the notification arrives within milliseconds of the write): flags are I_DIRTY_* bits.
     */
    public FsWriteback.Marked mark_inode_dirty(int dev, long ino, int flags) {
        return mark_inode_dirty(dev, ino, flags, jiffies.now());
    }

    /**
     * __mark_inode_dirty with the writer's own dirtied_when (jiffies, see {@link Jiffies}). A dirtied_when ahead of
     * this service's clock is taken as now: an inode stamped in the future would never expire.
     */
    public FsWriteback.Marked mark_inode_dirty(int dev, long ino, int flags, long dirtiedWhen) {
        return mark_inode_dirty(dev, ino, flags, dirtiedWhen, false);
    }

    private FsWriteback.Marked mark_inode_dirty(int dev, long ino, int flags, long dirtiedWhen, boolean blockdev) {
        if (ino <= 0) {
            throw new ErrnoException(Errno.EINVAL, "inode number must be positive, got " + ino);
        }
        if (flags == 0 || (flags & ~InodeState.I_DIRTY_ALL) != 0) {
            throw new ErrnoException(Errno.EINVAL, "flags must be I_DIRTY_SYNC, I_DIRTY_DATASYNC, I_DIRTY_PAGES or"
                    + " I_DIRTY_TIME bits, got 0x" + Integer.toHexString(flags));
        }
        if (dirtiedWhen < 0) {
            throw new ErrnoException(Errno.EINVAL, "dirtied_when must be jiffies since boot, got " + dirtiedWhen);
        }
        return fs.__mark_inode_dirty(mounted(dev), dev, ino, flags, Math.min(dirtiedWhen, jiffies.now()), blockdev);
    }

    /**
     * __mark_inode_dirty as ext4 reports it over the bus, in the writer's task: when the inode joins the dirty list
     * now, writeback_dirty_inode_enqueue is traced there with {@code mode} (i_mode) and the dirtied_when it keeps.
     */
    public FsWriteback.Marked mark_inode_dirty(int dev, long ino, int flags, long dirtiedWhen, int mode,
                                               TraceContext writer) {
        return mark_inode_dirty(dev, ino, flags, dirtiedWhen, mode, writer, 0);
    }

    /** The same, traced at {@code observedNanos} of the shared trace clock, when the writer dirtied it (0: now). */
    public FsWriteback.Marked mark_inode_dirty(int dev, long ino, int flags, long dirtiedWhen, int mode,
                                               TraceContext writer, long observedNanos) {
        FsWriteback.Marked m = mark_inode_dirty(dev, ino, flags, dirtiedWhen, (mode & S_IFMT) == S_IFBLK);
        if (m.enqueued() && writer != null) {
            trace.writeback_dirty_inode_enqueue(writer, observedNanos, dev, ino, m.state(), mode, m.dirtiedWhen());
        }
        return m;
    }

    /** evict: ext4 dropped the inode (unlinked, last reference gone); writeback forgets it. */
    public boolean evict_inode(int dev, long ino) {
        if (ino <= 0) {
            throw new ErrnoException(Errno.EINVAL, "inode number must be positive, got " + ino);
        }
        return fs.evict(wbOf(dev), dev, ino);
    }

    /**
     * The filesystem on {@code dev} was unmounted (after its final sync): its inodes leave the lists and sync(2) no
     * longer visits it. Returns how many inodes writeback still held.
     */
    public int kill_sb(int dev) {
        BdiWriteback wb = wbOf(dev);
        Set<Integer> sbs = superblocks.get(wb.name());
        if (sbs != null) {
            sbs.remove(dev);
        }
        return fs.evict_inodes(wb, dev);
    }

    /** account_page_dirtied: pages newly dirty in ext4's page cache. */
    public void account_page_dirtied(int dev, long pages) {
        checkPages(dev, pages);
        vm.account_page_dirtied(pages);
    }

    /** account_page_cleaned: dirty pages dropped without writeback (truncate). */
    public void account_page_cleaned(int dev, long pages) {
        checkPages(dev, pages);
        vm.account_page_cleaned(pages);
    }

    /** set_page_writeback: dirty pages submitted for writeback. */
    public void set_page_writeback(int dev, long pages) {
        checkPages(dev, pages);
        vm.set_page_writeback(pages);
    }

    /** end_page_writeback: writeback completed. */
    public void end_page_writeback(int dev, long pages) {
        checkPages(dev, pages);
        vm.end_page_writeback(pages);
    }

    /**
     * ext4's absolute NR_FILE_DIRTY and NR_WRITEBACK for the filesystem on {@code dev}, and its NR_DIRTIED and
     * NR_WRITTEN since the mount (0 and 0 when the sender does not count them), numbered by {@code seq}: applied as
     * the page events that lead there from its previous report (see {@link PageCounters}); a report not newer than
     * the last one is dropped (returns false).
     */
    public boolean page_counters(int dev, long seq, long dirtyPages, long writebackPages, long dirtiedPages,
                                 long writtenPages) {
        if (dirtyPages < 0 || writebackPages < 0 || dirtiedPages < 0 || writtenPages < 0) {
            throw new ErrnoException(Errno.EINVAL, "page counts cannot be negative, got dirty=" + dirtyPages
                    + " writeback=" + writebackPages + " dirtied=" + dirtiedPages + " written=" + writtenPages);
        }
        wbOf(dev);
        return counters.report(dev, seq, dirtyPages, writebackPages, dirtiedPages, writtenPages);
    }

    private void checkPages(int dev, long pages) {
        if (pages < 0) {
            throw new ErrnoException(Errno.EINVAL, "a page count cannot be negative, got " + pages);
        }
        wbOf(dev);
    }

    // ---- sync(2), wakeups ------------------------------------------------------------------------------------

    /**
     * sync(2), the writeback part: wakeup_flusher_threads (a WB_SYNC_NONE "start all" work for the dirty pages)
     * then sync_inodes_sb for every filesystem seen (WB_SYNC_ALL, for_sync). Completes when the sync works are done.
     */
    public CompletableFuture<Void> sync(TraceContext caller) {
        wakeup_flusher_threads(WbReason.WB_REASON_SYNC, caller);
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (BdiWriteback wb : bdis.values()) {
            for (int sb : superblocks.getOrDefault(wb.name(), Set.of())) {
                done.add(fs.sync_inodes_sb(wb, sb, caller).done);
            }
        }
        return CompletableFuture.allOf(done.toArray(CompletableFuture[]::new));
    }

    /**
     * sync(2)'s writeback half for the filesystem on {@code dev}, as a caller in another process asks for it:
     * wakeup_flusher_threads' "start all" work on its wb, then sync_inodes_sb's WB_SYNC_ALL work. Completes, with the
     * pages both works wrote, when every inode of {@code dev} dirtied before now was written.
     */
    public CompletableFuture<Long> sync_written(int dev, TraceContext caller) {
        BdiWriteback wb = mounted(dev);
        long asked = fs.get_nr_dirty_pages(wb);
        WbWritebackWork start = fs.wb_start_writeback(wb, asked, false, WbReason.WB_REASON_SYNC, caller);
        WbWritebackWork sync = fs.sync_inodes_sb(wb, dev, caller);
        CompletableFuture<Void> both = start == null ? sync.done : CompletableFuture.allOf(start.done, sync.done);
        // the works count nr_pages down as they write (they may be done already); sync_inodes_sb asks for LONG_MAX
        return both.thenApply(v -> (start == null ? 0 : asked - start.nrPages) + (Long.MAX_VALUE - sync.nrPages));
    }

    /** sync_inodes_sb alone (syncfs): completes when every inode of {@code dev} dirtied before now was written. */
    public CompletableFuture<Void> sync_inodes_sb(int dev, TraceContext caller) {
        return fs.sync_inodes_sb(mounted(dev), dev, caller).done;
    }

    /** wakeup_flusher_threads: "start all", get_nr_dirty_pages worth, on every wb with dirty io. */
    public void wakeup_flusher_threads(WbReason reason, TraceContext caller) {
        for (BdiWriteback wb : bdis.values()) {
            fs.wb_start_writeback(wb, fs.get_nr_dirty_pages(wb), false, reason, caller);
        }
    }

    /**
     * balance_dirty_pages_ratelimited for a writer that just dirtied {@code pages} pages of a file on {@code dev}:
     * the pause it must take before writing on (zero below the freerun ceiling). Over the background threshold it
     * also wakes the flusher.
     */
    public Duration balance_dirty_pages_ratelimited(int dev, long pages, TraceContext writer) {
        checkPages(dev, pages);
        return pw.balance_dirty_pages_ratelimited(wbOf(dev), writer, pages,
                wb -> fs.wb_start_background_writeback(wb, writer));
    }

    /** One balance_dirty_pages round for a writer that dirtied {@code pages} since its last pause. */
    public PageWriteback.Throttle balance_dirty_pages(int dev, long pages, TraceContext writer) {
        checkPages(dev, pages);
        return pw.balance_dirty_pages(wbOf(dev), writer, pages, wb -> fs.wb_start_background_writeback(wb, writer));
    }

    /**
     * After a restart (of this service, or ext4's remount): asks ext4 for its dirty inodes on {@code dev} and queues
     * each with its own dirtied_when, oldest first so b_dirty keeps its order; pages of inodes not already queued are
     * counted as dirty until ext4 reports the filesystem's counts ({@link #page_counters}), which then replace the
     * estimate. Returns how many inodes were queued.
     */
    public int rebuild(int dev) {
        mounted(dev);
        return rebuild(dev, ext4.dirtyInodes(dev));
    }

    /** {@link #rebuild(int)} with ext4's answer already in hand. */
    public int rebuild(int dev, List<Ext4Port.DirtyInode> fromExt4) {
        BdiWriteback wb = mounted(dev);
        List<Ext4Port.DirtyInode> dirty = new ArrayList<>(fromExt4);
        dirty.sort((a, b) -> Long.compare(a.dirtiedWhen(), b.dirtiedWhen()));
        int queued = 0;
        for (Ext4Port.DirtyInode d : dirty) {
            int flags = d.state() & InodeState.I_DIRTY_ALL;
            if (flags == 0) {
                flags = InodeState.I_DIRTY_PAGES;
            }
            if (d.ino() <= 0 || d.dirtiedWhen() < 0 || d.nrDirty() < 0) {
                continue; // ext4 sent nonsense for this one; the rest still count
            }
            FsWriteback.Marked m = fs.__mark_inode_dirty(wb, dev, d.ino(), flags, Math.min(d.dirtiedWhen(), jiffies.now()));
            if (m.enqueued()) {
                if (!counters.reported(dev)) {
                    counters.estimate(dev, d.nrDirty());
                }
                queued++;
            }
        }
        return queued;
    }

    /**
     * dirty_writeback_centisecs_handler: 0 stops periodic writeback; another value re-arms each flusher that has
     * dirty inodes to run one new interval from now.
     */
    private void dirty_writeback_centisecs_handler(long centisecs) {
        for (BdiWriteback wb : bdis.values()) {
            if (centisecs == 0) {
                wb.dwork.cancel_delayed_work();
                continue;
            }
            boolean dirty;
            wb.listLock.lock();
            try {
                dirty = wb.wb_has_dirty_io();
            } finally {
                wb.listLock.unlock();
            }
            if (dirty && wb.registered) {
                wb.dwork.mod_delayed_work(jiffies.toDuration(jiffies.msecs_to_jiffies(centisecs * 10)));
            }
        }
    }

    /** bdi_unregister: no more work; queued waiters are released; the flusher threads end. */
    @Override
    public synchronized void close() {
        for (BdiWriteback wb : bdis.values()) {
            wb.listLock.lock();
            try {
                wb.registered = false;
                wb.workList.forEach(w -> w.done.complete(null));
                wb.workList.clear();
            } finally {
                wb.listLock.unlock();
            }
            wb.dwork.cancel_delayed_work();
        }
        for (AutoCloseable w : workers) {
            try {
                w.close();
            } catch (Exception e) {
                // closing a worker only joins its thread
            }
        }
    }
}
