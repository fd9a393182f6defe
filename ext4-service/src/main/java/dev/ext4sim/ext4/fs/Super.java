package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.trace.Jiffies;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.BlockPort;
import dev.ext4sim.ext4.port.JournalPort;
import dev.ext4sim.ext4.port.WritebackPort;
import dev.ext4sim.ondisk.OnDiskException;
import dev.ext4sim.ondisk.ext4.Ext4;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.SuperBlock;
import dev.ext4sim.ondisk.ext4.Timespec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A mounted filesystem (ext4_sb_info and super.c): the ondisk structures over the buffer cache, the in-core inodes,
 * the delalloc counters, the ports, and one lock that serialises every operation on it (the simulation's stand-in
 * for i_rwsem, i_data_sem and the group locks). Nothing waits on a remote commit while holding the lock.
 */
final class Super {
    /** Told each crash point (Ext4CrashPoints) as it is reached; set once mounted. */
    volatile java.util.function.Consumer<String> crashPoints = point -> {
    };

    /** EXT4_HT_* handle types (tracepoints.md §4.6). */
    static final int HT_MISC = 0;
    /** The revoke credits every handle starts with in 5.5+ (jbd2's default, as the 6.18 capture prints them). */
    static final int REVOKE_CREDITS = 8;
    static final int HT_INODE = 1;
    static final int HT_WRITE_PAGE = 2;
    /** EXT4_HT_MAP_BLOCKS: a direct write's get_block, and the conversion after it. */
    static final int HT_MAP_BLOCKS = 3;
    static final int HT_DIR = 4;
    static final int HT_TRUNCATE = 5;
    /** EXT4_HT_EXT_CONVERT: the unwritten-extent conversion at I/O completion. */
    static final int HT_EXT_CONVERT = 11;

    static final int HZ = 250;
    /** s_maxbytes of an extent-mapped file with 4 KiB blocks: (2^32 - 1) blocks (ext4_max_size). */
    static final long MAX_BYTES = ((1L << 32) - 1) << PageCache.PAGE_SHIFT;
    /** EXT4_FREECLUSTERS_WATERMARK: 4 * percpu_counter_batch (32) * nr_cpus (2). */
    static final long FREECLUSTERS_WATERMARK = 4 * 32 * 2;
    /** EXT4_STATE_VALID_FS in s_state. */
    static final int VALID_FS = 0x1;

    final BlockPort block;
    final JournalPort journal;
    final WritebackPort writeback;
    final Ext4Trace trace;
    final Time time;
    final int devT;
    final ReentrantLock lock = new ReentrantLock();
    final BufferCache cache;
    final BufferHeads buffers;
    final Ext4Filesystem fs;
    private final Map<Integer, Ext4InodeInfo> inodes = new HashMap<>();
    /** NR_FILE_PAGES: the pages of every inode's page cache. */
    final java.util.concurrent.atomic.AtomicLong cachedPages = new java.util.concurrent.atomic.AtomicLong();
    /** The most pages the page cache holds before clean ones are reclaimed; 0 for no limit. */
    long pageCacheLimit;
    /** Clean pages reclaimed since the mount (pgsteal). */
    long reclaimed;
    private long useClock;
    /** s_dirtyclusters_counter: blocks reserved by delalloc and not allocated yet. */
    long dirtyClusters;
    /** s_resv_clusters: kept back for metadata so that writeback never fails (ext4_calculate_resv_clusters). */
    final long resvClusters;
    /** NR_FILE_DIRTY and NR_WRITEBACK of this filesystem, and NR_DIRTIED and NR_WRITTEN since the mount. */
    long nrDirty;
    long nrWriteback;
    long nrDirtied;
    long nrWritten;
    boolean mounted;
    /** Blocks freed by transactions not yet committed: allocation skips them. */
    final FreedData freed = new FreedData();
    /** What the mount was asked for (nodelalloc, data=writeback); set before the mount's first operation. */
    MountOptions opts = MountOptions.DEFAULTS;

    private Super(BlockPort block, JournalPort journal, WritebackPort writeback, Ext4Trace trace, Time time, int devT,
                  BufferCache cache, Ext4Filesystem fs) {
        this.block = block;
        this.journal = journal;
        this.writeback = writeback;
        this.trace = trace;
        this.time = time;
        this.devT = devT;
        this.cache = cache;
        this.buffers = new BufferHeads(trace);
        this.fs = fs;
        this.resvClusters = Math.min(fs.superBlock().s_blocks_count() / 50, 4096);
        fs.mballoc().setBusy(freed::busy);
        fs.mballoc().setListener(new MballocEvents(this));
    }

    /**
     * ext4_free_blocks: each group's block bitmap got first, the blocks back in it now, reusable once the freeing
     * transaction commits.
     */
    void freeBlocks(TraceContext ctx, Ext4Handle h, long start, int len) {
        int first = fs.geometry().groupOfBlock(start);
        int last = fs.geometry().groupOfBlock(start + len - 1);
        for (int g = first; g <= last; g++) {
            readBlockBitmap(ctx, g);
        }
        fs.mballoc().freeBlocks(start, len);
        freed.add(h, start, len);
    }

    /**
     * ext4_discard_preallocations: traced for a regular file only (a directory has none). No inode preallocation is
     * kept, so there is nothing to give back.
     */
    void discardPreallocations(TraceContext ctx, Ext4InodeInfo ei) {
        if (ei.isReg() && trace.v6()) {
            // the inode preallocation list it emptied: none is kept
            trace.ext4(Ext4Trace.DISCARD_PREALLOCATIONS_6X, ctx, (long) ei.ino, 0);
        } else if (ei.isReg()) {
            trace.ext4(Ext4Trace.DISCARD_PREALLOCATIONS, ctx, (long) ei.ino);
        }
    }

    /**
     * An allocation that found nothing but busy blocks takes them rather than fail: writeback must not see ENOSPC,
     * and forcing the commit from here (as ext4_should_retry_alloc does) would wait on this very lock.
     */
    <T> T allocating(java.util.function.Supplier<T> alloc) {
        try {
            return alloc.get();
        } catch (dev.ext4sim.ondisk.ext4.NoSpaceException e) {
            if (freed.isEmpty()) {
                throw e;
            }
            fs.mballoc().setBusy(null);
            try {
                return alloc.get();
            } finally {
                fs.mballoc().setBusy(freed::busy);
            }
        }
    }

    /**
     * ext4_fill_super: reads the superblock, lets the journal load (and replay) through the port, then reads the group
     * descriptors and every group's bitmaps into the buffer cache, checksums verified, and marks the superblock
     * needs_recovery for as long as it is mounted.
     */
    static Super mount(TraceContext ctx, BlockPort block, JournalPort journal, WritebackPort writeback, Ext4Trace trace,
                       Time time, int devT) {
        SuperBlock probe = new SuperBlock(java.util.Arrays.copyOfRange(block.read(ctx, 0, 1), Ext4.SUPERBLOCK_OFFSET,
                Ext4.SUPERBLOCK_OFFSET + Ext4.SUPERBLOCK_SIZE));
        try {
            probe.verify(0);
        } catch (OnDiskException e) {
            throw new ErrnoException(Errno.EINVAL, "no ext4 filesystem on the device: " + e.getMessage(), e);
        }
        if (probe.blockSize() != BlockPort.BLOCK_SIZE) {
            throw new ErrnoException(Errno.EINVAL, "block size " + probe.blockSize() + "; this simulation mounts 4 KiB blocks only");
        }
        if ((probe.s_feature_compat() & Ext4.COMPAT_HAS_JOURNAL) == 0) {
            throw new ErrnoException(Errno.EINVAL, "the filesystem has no journal; data=ordered needs one");
        }
        journal.load(ctx);
        BufferCache cache = new BufferCache(block, probe.s_blocks_count());
        cache.context(ctx);
        cache.metaReads(trace.v6());
        Ext4Filesystem fs;
        try {
            fs = Ext4Filesystem.open(cache);
            for (int g = 0; g < fs.groupCount(); g++) {
                fs.bitmaps().blockBitmap(g);
                fs.bitmaps().inodeBitmap(g);
            }
        } catch (OnDiskException e) {
            throw new ErrnoException(Errno.EUCLEAN, "mount failed: " + e.getMessage(), e);
        }
        Super sb = new Super(block, journal, writeback, trace, time, devT, cache, fs);
        sb.iget(Ext4.ROOT_INO, 0); // ext4_fill_super's ext4_iget of the root, in the mount's task
        cache.writeThrough(true);
        try {
            // ext4_setup_super: with a journal the state stays VALID_FS; needs_recovery says "mounted"
            SuperBlock es = fs.superBlock();
            es.s_mnt_count(es.s_mnt_count() + 1);
            es.s_mtime(time.currentTimeMillis() / 1000);
            es.s_wtime(time.currentTimeMillis() / 1000);
            fs.setNeedsRecovery(true);
            block.flush(ctx);
        } finally {
            cache.writeThrough(false);
        }
        sb.mounted = true;
        return sb;
    }

    /**
     * ext4_put_super once everything is committed and checkpointed: ext4_mb_release forgets the preallocations (held in
     * memory only), then ext4_commit_super: the free counts from the groups (ext4_update_super), needs_recovery off,
     * state valid, home directly.
     */
    void writeCleanSuper(TraceContext ctx) {
        fs.mballoc().releasePreallocations();
        cache.context(ctx);
        cache.writeThrough(true);
        try {
            fs.updateSuperCounts();
            fs.superBlock().s_state(fs.superBlock().s_state() | VALID_FS);
            fs.superBlock().s_wtime(time.currentTimeMillis() / 1000);
            fs.setNeedsRecovery(false);
            block.flush(ctx);
        } finally {
            cache.writeThrough(false);
        }
        mounted = false;
    }

    /** Called at the start of every operation, under the lock. */
    void enter(TraceContext ctx) {
        if (!mounted) {
            throw new ErrnoException(Errno.ENODEV, "the filesystem is not mounted");
        }
        cache.context(ctx);
        fs.setClock(currentTime());
    }

    /** Seconds of the wall clock, for i_dtime (which has no nanoseconds). */
    long now() {
        return time.currentTimeMillis() / 1000;
    }

    /**
     * current_time(), truncated to {@link #timeGranNanos}. The kernel's is the coarse wall clock
     * (ktime_get_coarse_real_ts64), which moves once a tick, a jiffy at HZ 250; ext4's s_time_gran is 1 ns, so that is
     * the granularity of every timestamp, and file_update_time dirties the inode of a stream of writes about once a
     * jiffy. So it is here by default (see Ext4Mount#timeGranularity).
     */
    Timespec currentTime() {
        long nanos = time.currentTimeMillis() * 1_000_000L;
        return Timespec.ofEpochNanos(nanos - Math.floorMod(nanos, timeGranNanos));
    }

    /** The granularity of inode times, in ns: {@link Jiffies#NANOS_PER_JIFFY}, as the kernel's. */
    volatile long timeGranNanos = Jiffies.NANOS_PER_JIFFY;

    /** jiffies as writeback computes them: the service's Time reads the shared trace clock as its nanoTime. */
    long jiffies() {
        return dev.ext4sim.bus.trace.Jiffies.at(time.nanoTime());
    }

    /** iget: the in-core inode, read on first use. */
    Ext4InodeInfo iget(int ino, int parent) {
        return iget(ino, parent, false);
    }

    /**
     * ext4_iget while s_mount_state has EXT4_ORPHAN_FS: ext4_orphan_cleanup reads an unlinked inode too, to delete
     * it; at any other time an inode without links is stale.
     */
    Ext4InodeInfo igetOrphan(int ino) {
        return iget(ino, 0, true);
    }

    private Ext4InodeInfo iget(int ino, int parent, boolean orphanFs) {
        Ext4InodeInfo ei = inodes.get(ino);
        if (ei == null) {
            if (ino < 1 || ino > fs.superBlock().s_inodes_count()) {
                throw new ErrnoException(Errno.ESTALE, "inode " + ino + " does not exist on this filesystem");
            }
            getInodeLoc(cache.context(), ino); // ext4_iget's __ext4_get_inode_loc
            ei = new Ext4InodeInfo(fs.inodes().read(ino), parent, cachedPages);
            if ((ei.raw.i_links_count() == 0 && !orphanFs) || ei.raw.i_mode() == 0) {
                throw new ErrnoException(Errno.ESTALE, "inode " + ino + " is not in use");
            }
            inodes.put(ino, ei);
        } else if (parent != 0) {
            ei.parent = parent;
        }
        ei.lastUsed = ++useClock;
        return ei;
    }

    /**
     * Memory pressure on the page cache (shrink_page_list): past {@link #pageCacheLimit} pages, clean pages of the
     * least recently used inodes are dropped, down to three quarters of the limit. Dirty pages stay until writeback.
     */
    void reclaimPages() {
        if (pageCacheLimit <= 0 || cachedPages.get() <= pageCacheLimit) {
            return;
        }
        long target = pageCacheLimit * 3 / 4;
        List<Ext4InodeInfo> lru = new ArrayList<>(inodes.values());
        lru.sort(java.util.Comparator.comparingLong(ei -> ei.lastUsed));
        for (Ext4InodeInfo ei : lru) {
            long over = cachedPages.get() - target;
            if (over <= 0) {
                break;
            }
            reclaimed += ei.pages.evictClean(over);
        }
    }

    Ext4InodeInfo cached(int ino) {
        return inodes.get(ino);
    }

    void put(Ext4InodeInfo ei) {
        inodes.put(ei.ino, ei);
    }

    void forgetInode(int ino) {
        Ext4InodeInfo ei = inodes.remove(ino);
        if (ei != null) {
            ei.pages.forget();
        }
    }

    Iterable<Ext4InodeInfo> inodes() {
        return inodes.values();
    }

    // ------------------------------------------------------------------ handles (ext4_jbd2.c)

    /**
     * __ext4_journal_start: the ext4_journal_start event, then a new jbd2 handle, or a nested reference when the task
     * already holds {@code current} (jbd2 then emits nothing).
     */
    Ext4Handle journalStart(TraceContext ctx, Ext4Handle current, int type, int credits, Caller caller) {
        return journalStart(ctx, current, type, credits, caller, 0);
    }

    /**
     * The same for a handle started for inode {@code ino} (ext4_journal_start(inode, ..)); 0 for one started for
     * the filesystem (__ext4_journal_start_sb(NULL, sb, ..)), which 6.x traces as ext4_journal_start_sb.
     */
    Ext4Handle journalStart(TraceContext ctx, Ext4Handle current, int type, int credits, Caller caller, int ino) {
        return journalStart(ctx, current, type, credits, 0, caller, ino);
    }

    /**
     * ext4_journal_start_with_reserve: the same, with {@code rsvCredits} held back for a reserved handle that a later
     * task starts ({@link #journalStartReserved}).
     */
    Ext4Handle journalStart(TraceContext ctx, Ext4Handle current, int type, int credits, int rsvCredits, Caller caller, int ino) {
        if (!trace.v6()) {
            trace.ext4(Ext4Trace.JOURNAL_START, ctx, caller.symbol(), credits, rsvCredits);
        } else if (ino == 0) {
            trace.ext4(Ext4Trace.JOURNAL_START_SB, ctx, caller.symbol(), credits, rsvCredits, REVOKE_CREDITS, type);
        } else {
            trace.ext4(Ext4Trace.JOURNAL_START_INODE, ctx, (long) ino, caller.symbol(), credits, rsvCredits, REVOKE_CREDITS, type);
        }
        if (current != null) {
            current.nest();
            return current;
        }
        Ext4Handle h = new Ext4Handle(ctx, journal.start(ctx, type, credits, caller.lineNo()));
        cache.handle(h);
        return h;
    }

    /**
     * ext4_journal_start_reserved: the conversion's handle, from the credits its writepages handle reserved; jbd2 types
     * it EXT4_HT_EXT_CONVERT. Never nested: the end_io worker holds no handle.
     */
    Ext4Handle journalStartReserved(TraceContext ctx, int credits, Caller caller) {
        trace.ext4(Ext4Trace.JOURNAL_START_RESERVED, ctx, caller.symbol(), credits);
        Ext4Handle h = new Ext4Handle(ctx, journal.start(ctx, HT_EXT_CONVERT, credits, caller.lineNo()));
        cache.handle(h);
        return h;
    }

    /**
     * __ext4_journal_stop: the outermost stop writes the bitmaps and descriptors into the handle; the 4.x profile also
     * the superblock with its free counts. A 6.x handle logs the superblock only when it changed it
     * (ext4_sample_last_mounted): the kernel keeps the counts in percpu counters and ext4_commit_super writes them
     * home at unmount ({@link #writeCleanSuper}).
     */
    void journalStop(Ext4Handle h) {
        if (!h.unnest()) {
            return;
        }
        try {
            // what changed in a marked inode after its ext4_mark_inode_dirty (a quota claim of i_blocks) goes too
            for (Ext4InodeInfo ei : h.markedInodes()) {
                if (inUse(ei)) {
                    fs.inodes().write(ei.raw);
                }
            }
            if (trace.v6()) {
                fs.flushGroups();
            } else {
                fs.flush();
            }
            h.stop(cache);
        } finally {
            cache.handle(null);
        }
    }

    /** An inode still in use (an evicted one was written for the last time by its eviction). */
    private boolean inUse(Ext4InodeInfo ei) {
        return inodes.get(ei.ino) == ei;
    }

    /**
     * ext4_mark_inode_dirty: ext4_reserve_inode_write gets the inode table buffer, then the raw inode goes into it,
     * journaled by {@code h}.
     */
    void markInodeDirty(TraceContext ctx, Ext4Handle h, Ext4InodeInfo ei, Caller caller, boolean datasync) {
        trace.ext4(Ext4Trace.MARK_INODE_DIRTY, ctx, (long) ei.ino, caller.symbol());
        getInodeLoc(ctx, ei.ino);
        fs.inodes().write(ei.raw);
        h.marked(ei, datasync);
    }

    /** ext4_handle_dirty_super: the superblock as it is now goes into its buffer, journaled by the running handle. */
    void handleDirtySuper() {
        SuperBlock es = fs.superBlock();
        es.updateChecksum();
        long block = Ext4.SUPERBLOCK_OFFSET / fs.blockSize();
        byte[] buffer = cache.buffer(block).clone();
        System.arraycopy(es.raw(), 0, buffer, Ext4.SUPERBLOCK_OFFSET % fs.blockSize(), Ext4.SUPERBLOCK_SIZE);
        cache.write(block, buffer);
    }

    // ------------------------------------------------------------------ metadata buffers (sb_getblk)

    /** __ext4_get_inode_loc: sb_getblk of the inode table block that holds {@code ino}. */
    void getInodeLoc(TraceContext ctx, int ino) {
        int perGroup = fs.geometry().inodesPerGroup();
        long offset = (long) ((ino - 1) % perGroup) * fs.geometry().inodeSize();
        buffers.getblk(ctx, fs.group((ino - 1) / perGroup).bg_inode_table() + offset / fs.blockSize());
    }

    /**
     * ext4_read_inode_bitmap: sb_getblk of the group's inode bitmap (held in memory since the mount). A 6.x kernel's
     * mount reads no inode bitmap, so the group's first use after it finds the buffer not uptodate:
     * ext4_load_inode_bitmap, then the read (ext4_read_bh, REQ_META) in the caller's task, which the 6.x profile
     * traces (ext4sim's own mount has read it already).
     */
    void readInodeBitmap(TraceContext ctx, int group) {
        long bitmap = fs.group(group).bg_inode_bitmap();
        buffers.getblk(ctx, bitmap);
        if (trace.v6() && !inodeBitmapsLoaded.get(group)) {
            inodeBitmapsLoaded.set(group);
            trace.ext4(Ext4Trace.LOAD_INODE_BITMAP, ctx, group);
            block.readMeta(ctx, bitmap, 1);
        }
    }

    /** The groups whose inode bitmap a 6.x ext4_read_inode_bitmap has read since the mount. */
    private final java.util.BitSet inodeBitmapsLoaded = new java.util.BitSet();
    /** ext4_read_block_bitmap: sb_getblk of the group's block bitmap (held in memory since the mount). */
    void readBlockBitmap(TraceContext ctx, int group) {
        buffers.getblk(ctx, fs.group(group).bg_block_bitmap());
    }

    // ------------------------------------------------------------------ free space (balloc.c)

    /** percpu s_freeclusters_counter: free blocks in the bitmaps (delalloc reservations not subtracted). */
    long freeClusters() {
        long free = 0;
        for (int g = 0; g < fs.groupCount(); g++) {
            free += fs.group(g).bg_free_blocks_count();
        }
        return free;
    }

    /**
     * ext4_has_free_clusters: {@code n} more blocks fit beside what delalloc reserved, the root reserve and the
     * metadata reserve; an allocation that may use the reserves (METADATA_NOFAIL) needs only the free blocks.
     */
    boolean hasFreeClusters(long n, boolean useReserved) {
        long free = freeClusters() - dirtyClusters;
        if (useReserved) {
            return free >= n;
        }
        long resv = fs.superBlock().s_r_blocks_count() + resvClusters;
        return free - resv >= n;
    }

    /** ext4_should_order_data: data=ordered and a regular file (a directory's blocks are metadata). */
    boolean shouldOrderData(Ext4InodeInfo ei) {
        return opts.data() == MountOptions.DataMode.ORDERED && ei.isReg();
    }

    /**
     * ext4_should_journal_data: a regular file under data=journal (per-inode journalling, chattr +j, is not
     * simulated). A directory's blocks are metadata in every mode.
     */
    boolean shouldJournalData(Ext4InodeInfo ei) {
        return opts.journalData() && ei.isReg();
    }

    /** ext4_nonda_switch: near a full device, write_begin allocates at once instead of reserving. */
    boolean nondaSwitch() {
        long free = freeClusters();
        long dirty = dirtyClusters;
        return 2 * free < 3 * dirty || free < dirty + FREECLUSTERS_WATERMARK;
    }

    /** account_page_dirtied (delta above zero) or account_page_cleaned (below): pages dirtied, or dropped unwritten. */
    void dirtyPagesChanged(TraceContext ctx, long delta) {
        if (delta != 0) {
            nrDirty += delta;
            nrDirtied += Math.max(0, delta);
            pageCountersChanged(ctx);
        }
    }

    /** clear_page_dirty_for_io + set_page_writeback: dirty pages on their way to the device. */
    void setPageWriteback(TraceContext ctx, long pages) {
        nrDirty -= pages;
        nrWriteback += pages;
        pageCountersChanged(ctx);
    }

    /**
     * end_page_writeback: the device has the pages ({@code written}, counted in NR_WRITTEN), or the write failed and
     * they are dirty again (redirty_page_for_writepage).
     */
    void endPageWriteback(TraceContext ctx, long pages, boolean written) {
        nrWriteback -= pages;
        if (written) {
            nrWritten += pages;
        } else {
            nrDirty += pages;
        }
        pageCountersChanged(ctx);
    }

    private void pageCountersChanged(TraceContext ctx) {
        writeback.pageCountersChanged(ctx, new WritebackPort.PageCounts(nrDirty, nrWriteback, nrDirtied, nrWritten));
    }
}
