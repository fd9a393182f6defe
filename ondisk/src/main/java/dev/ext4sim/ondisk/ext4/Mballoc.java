package dev.ext4sim.ondisk.ext4;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The block allocator (mballoc.c, simplified). The search is the first free run at or after a goal block, group by
 * group and wrapping around, as ext4_mb_regular_allocator's goal pass does. Data requests of small files go through
 * the per-cpu locality group preallocations of ext4_mb_new_blocks. Only blocks handed out reach the bitmap and
 * bg_free_blocks_count (the superblock total is summed at flush); preallocated ones are held in memory.
 */
public final class Mballoc {
    /** {@code len} contiguous blocks from {@code start}. */
    public record Run(long start, int len) {
    }

    // EXT4_MB_* allocation hints (4.x values)
    public static final int HINT_DATA = 0x20;
    public static final int HINT_NOPREALLOC = 0x40;
    public static final int HINT_GROUP_ALLOC = 0x80;
    public static final int HINT_GOAL_ONLY = 0x100;
    public static final int STREAM_ALLOC = 0x800;
    /** MB_DEFAULT_STREAM_THRESHOLD: files of at most this many blocks share their cpu's locality group. */
    public static final int MB_DEFAULT_STREAM_THRESHOLD = 16;
    /** s_mb_group_prealloc as ext4_mb_init sets it without bigalloc or a RAID stripe (MB_DEFAULT_GROUP_PREALLOC). */
    public static final int MB_DEFAULT_GROUP_PREALLOC = 512;
    /** ac_criteria of an allocation served from a locality group preallocation. */
    static final int CR_GROUP_PA = 20;

    private final Ext4Filesystem fs;
    private final Preallocations pas;
    private java.util.function.LongPredicate busy;
    private MballocListener events = MballocListener.NONE;
    /** s_bal_allocated: read by metrics threads while the allocating thread adds. */
    private final LongAdder allocated = new LongAdder();

    Mballoc(Ext4Filesystem fs) {
        this.fs = fs;
        this.pas = new Preallocations(fs.geometry());
    }

    /**
     * Blocks that are free in the bitmap but may not be handed out yet (the kernel's ext4_free_data: freed by a
     * transaction that has not committed, so a crash could still bring back the file that owned them). Allocation
     * skips them; null (the default) means none.
     */
    public void setBusy(java.util.function.LongPredicate busy) {
        this.busy = busy;
    }

    /** Who hears of mballoc's tracepoints ({@link MballocListener#NONE} by default). */
    public void setListener(MballocListener events) {
        this.events = java.util.Objects.requireNonNull(events);
    }

    /**
     * Allocates up to {@code maxLen} contiguous blocks starting at the first free block at or after {@code goal} (any
     * group if that one is full), for metadata and this library's own file writes: no preallocation, except that
     * preallocations are discarded when nothing else is free. The run may be shorter than asked.
     */
    public Run newBlocks(long goal, int maxLen) {
        if (maxLen <= 0) {
            throw new IllegalArgumentException("allocation of " + maxLen + " blocks");
        }
        Run run = find(goal, maxLen);
        while (run == null && !pas.isEmpty() && pas.discard(maxLen, events) > 0) {
            run = find(goal, maxLen);
        }
        if (run == null) {
            throw new NoSpaceException("no free block for an allocation of " + maxLen);
        }
        markDiskspaceUsed(run);
        return run;
    }

    /**
     * ext4_mb_new_blocks from after trace_ext4_request_blocks to before trace_ext4_allocate_blocks: a locality group
     * preallocation first, else the search for the normalised goal (which, for a small file, becomes a new
     * preallocation of which the file takes its share), discarding preallocations and searching again while that
     * finds nothing; then the blocks are marked on disk and the listener hears ext4_mb_collect_stats.
     *
     * @throws NoSpaceException when nothing is free even with every preallocation discarded (nothing is marked)
     */
    public Allocation newBlocks(AllocationRequest ar) {
        AllocationContext ac = initializeContext(ar);
        if (!usePreallocated(ac)) {
            ac.prealloc = false;
            normalizeRequest(ac);
            while (!regularAllocator(ac)) {
                if (pas.discard(ac.o.len(), events) == 0) {
                    throw new NoSpaceException("no free block for " + ac.o.len() + " blocks of inode " + ar.ino());
                }
            }
            if ((ac.flags & HINT_GROUP_ALLOC) != 0 && ac.o.len() < ac.b.len()) {
                newGroupPa(ac);
            }
        }
        long block = blockOf(ac.b);
        markDiskspaceUsed(new Run(block, ac.b.len()));
        releaseContext(ac);
        Allocation done = ac.snapshot(block);
        events.collectStats(done);
        return done;
    }

    /** ext4_mb_initialize_context: a goal outside the filesystem becomes its first data block. */
    private AllocationContext initializeContext(AllocationRequest ar) {
        Geometry geo = fs.geometry();
        int len = Math.min(ar.len(), geo.blocksPerGroup());
        long goal = ar.goal();
        if (goal < geo.firstDataBlock() || goal >= geo.blocksCount()) {
            goal = geo.firstDataBlock();
        }
        int group = geo.groupOfBlock(goal);
        AllocationContext ac = new AllocationContext(ar, new FreeExtent(ar.logical(), group,
                (int) (goal - geo.groupFirstBlock(group)), len));
        groupOrFile(ac);
        return ac;
    }

    /**
     * ext4_mb_group_or_file: a data request of a file that ends at most s_mb_stream_request blocks in (i_size or the
     * request's end, whichever is further) uses the locality group of the task's cpu; a larger one is a stream. A
     * request that ends the file exactly while nobody has it open for writing gets no preallocation at all.
     */
    private void groupOrFile(AllocationContext ac) {
        if ((ac.flags & HINT_DATA) == 0 || (ac.flags & HINT_GOAL_ONLY) != 0) {
            return;
        }
        int bs = fs.geometry().blockSize();
        long size = ac.o.logical() + ac.o.len();
        long isize = (ac.ar.isize() + bs - 1) / bs;
        if (size == isize && !ac.ar.openForWrite()) {
            ac.flags |= HINT_NOPREALLOC;
            return;
        }
        if (Math.max(size, isize) > MB_DEFAULT_STREAM_THRESHOLD) {
            ac.flags |= STREAM_ALLOC;
            return;
        }
        ac.lg = pas.localityGroup(ac.ar.cpu());
        ac.flags |= HINT_GROUP_ALLOC;
    }

    /** ext4_mb_use_preallocated, locality group part (this allocator keeps no inode preallocations). */
    private boolean usePreallocated(AllocationContext ac) {
        if ((ac.flags & HINT_DATA) == 0 || (ac.flags & HINT_GROUP_ALLOC) == 0) {
            return false;
        }
        GroupPrealloc pa = ac.lg.nearest(blockOf(ac.g), ac.o.len());
        if (pa == null) {
            return false;
        }
        useGroupPa(ac, pa);
        ac.criteria = CR_GROUP_PA;
        return true;
    }

    /** ext4_mb_use_group_pa: the request's blocks from the front of the preallocation; pa_pstart moves later. */
    private void useGroupPa(AllocationContext ac, GroupPrealloc pa) {
        Geometry geo = fs.geometry();
        int group = geo.groupOfBlock(pa.pstart);
        ac.b = new FreeExtent(ac.b.logical(), group, (int) (pa.pstart - geo.groupFirstBlock(group)), ac.o.len());
        ac.pa = pa;
    }

    /** ext4_mb_normalize_request: a locality group request grows to s_mb_group_prealloc; others stay as asked. */
    private void normalizeRequest(AllocationContext ac) {
        if ((ac.flags & (HINT_DATA | HINT_GOAL_ONLY | HINT_NOPREALLOC)) != HINT_DATA) {
            return;
        }
        if ((ac.flags & HINT_GROUP_ALLOC) != 0) {
            ac.g = ac.g.withLen(MB_DEFAULT_GROUP_PREALLOC);
        }
    }

    /** ext4_mb_regular_allocator with ext4_mb_use_best_found: the search, nothing marked yet. */
    private boolean regularAllocator(AllocationContext ac) {
        Run run = find(blockOf(ac.g), ac.g.len());
        if (run == null) {
            return false;
        }
        Geometry geo = fs.geometry();
        int group = geo.groupOfBlock(run.start());
        ac.found = 1;
        ac.groups = 1;
        ac.b = new FreeExtent(ac.g.logical(), group, (int) (run.start() - geo.groupFirstBlock(group)),
                Math.min(run.len(), ac.g.len()));
        ac.f = ac.b;
        return true;
    }

    /** ext4_mb_new_group_pa: the whole run found becomes the locality group's; the file takes the request's part. */
    private void newGroupPa(AllocationContext ac) {
        ac.f = ac.b;
        GroupPrealloc pa = new GroupPrealloc(ac.b.group(), ac.lg, blockOf(ac.b), ac.b.len());
        events.newGroupPa(ac.ar.ino(), pa.pstart, pa.len, pa.lstart);
        useGroupPa(ac, pa);
        pas.add(pa);
    }

    /**
     * ext4_mb_release_context: once the blocks are on disk the preallocation gives them up; what still has free
     * blocks goes back into its locality group's lists (ext4_mb_add_n_trim), what has none is dropped (ext4_mb_put_pa).
     */
    private void releaseContext(AllocationContext ac) {
        GroupPrealloc pa = ac.pa;
        if (pa == null) {
            return;
        }
        pa.consume(ac.b.len());
        if (pa.free > 0) {
            pa.lg.remove(pa);
            int count = pa.lg.add(pa);
            if (count > LocalityGroup.TRIM_OVER) {
                pas.discardLg(pa.lg, LocalityGroup.order(pa.free), count, pa, events);
            }
        } else {
            pas.drop(pa);
        }
    }

    /**
     * The first free run of up to {@code maxLen} blocks at or after {@code goal}, wrapping around, past blocks that
     * are busy or preallocated; null when there is none.
     */
    private Run find(long goal, int maxLen) {
        Geometry geo = fs.geometry();
        if (goal < geo.firstDataBlock() || goal >= geo.blocksCount()) {
            goal = geo.firstDataBlock();
        }
        int n = fs.groupCount();
        int g0 = geo.groupOfBlock(goal);
        for (int k = 0; k <= n; k++) {
            int g = (g0 + k) % n;
            if (fs.group(g).bg_free_blocks_count() == 0) {
                continue;
            }
            int from = k == 0 ? (int) (goal - geo.groupFirstBlock(g)) : 0;
            byte[] map = fs.bitmaps().blockBitmap(g);
            int limit = geo.blocksInGroup(g);
            long first = geo.groupFirstBlock(g);
            int bit = Bitmaps.findNextZero(map, from, limit);
            while (bit >= 0) {
                int held = pas.heldUntil(g, bit);
                if (held >= 0) {
                    bit = Bitmaps.findNextZero(map, held, limit);
                } else if (busy != null && busy.test(first + bit)) {
                    bit = Bitmaps.findNextZero(map, bit + 1, limit);
                } else {
                    break;
                }
            }
            if (bit < 0) {
                continue;
            }
            int stop = pas.nextHeld(g, bit, limit);
            int len = 1;
            while (len < maxLen && bit + len < stop && !Bitmaps.test(map, bit + len)
                    && (busy == null || !busy.test(first + bit + len))) {
                len++;
            }
            return new Run(first + bit, len);
        }
        return null;
    }

    /** ext4_mb_mark_diskspace_used: the bitmap and the group's free count. */
    private void markDiskspaceUsed(Run run) {
        Geometry geo = fs.geometry();
        int g = geo.groupOfBlock(run.start());
        byte[] map = fs.bitmaps().blockBitmap(g);
        int bit = (int) (run.start() - geo.groupFirstBlock(g));
        for (int i = 0; i < run.len(); i++) {
            if (Bitmaps.test(map, bit + i)) {
                throw new IllegalStateException("allocating block " + (run.start() + i) + ", which is already in use");
            }
            Bitmaps.set(map, bit + i);
        }
        GroupDesc gd = fs.group(g);
        gd.bg_free_blocks_count(gd.bg_free_blocks_count() - run.len());
        fs.bitmaps().markBlockDirty(g);
        allocated.add(run.len());
    }

    private long blockOf(FreeExtent ex) {
        return fs.geometry().groupFirstBlock(ex.group()) + ex.start();
    }

    /**
     * Blocks handed out since this filesystem was opened, data and metadata, blocks given back since included: the
     * "blocks allocated" of /proc/fs/ext4/&lt;dev&gt;/mb_stats. Preallocated blocks count once a file gets them.
     */
    public long blocksAllocated() {
        return allocated.sum();
    }

    /** Blocks the locality group preallocations hold: free on disk and for statfs, not for the allocator. */
    public long preallocatedBlocks() {
        return pas.heldBlocks();
    }

    /** ext4_mb_release at unmount: every preallocation is forgotten (the bitmap never held them). */
    public void releasePreallocations() {
        pas.clear();
    }

    /**
     * {@code n} blocks, not necessarily contiguous, each run starting where the last ended (tree blocks and the
     * like). All or nothing: on ENOSPC the blocks taken so far are given back.
     */
    public List<Long> newBlocksAll(long goal, int n) {
        List<Long> out = new ArrayList<>(n);
        try {
            while (out.size() < n) {
                Run r = newBlocks(goal, n - out.size());
                for (int i = 0; i < r.len(); i++) {
                    out.add(r.start() + i);
                }
                goal = r.start() + r.len();
            }
        } catch (NoSpaceException e) {
            for (long b : out) {
                freeBlocks(b, 1);
            }
            throw e;
        }
        return out;
    }

    /** Marks {@code len} blocks from {@code start} used, which must be free (mkfs uses it for fixed places). */
    public void claim(long start, int len) {
        Geometry geo = fs.geometry();
        for (long b = start; b < start + len; b++) {
            int g = geo.groupOfBlock(b);
            byte[] map = fs.bitmaps().blockBitmap(g);
            int bit = (int) (b - geo.groupFirstBlock(g));
            if (Bitmaps.test(map, bit)) {
                throw new IllegalArgumentException("block " + b + " is already in use");
            }
            Bitmaps.set(map, bit);
            fs.group(g).bg_free_blocks_count(fs.group(g).bg_free_blocks_count() - 1);
            fs.bitmaps().markBlockDirty(g);
        }
    }

    /** ext4_free_blocks. */
    public void freeBlocks(long start, int len) {
        Geometry geo = fs.geometry();
        for (long b = start; b < start + len; b++) {
            int g = geo.groupOfBlock(b);
            byte[] map = fs.bitmaps().blockBitmap(g);
            int bit = (int) (b - geo.groupFirstBlock(g));
            if (!Bitmaps.test(map, bit)) {
                throw new IllegalArgumentException("freeing block " + b + ", which is already free");
            }
            Bitmaps.clear(map, bit);
            fs.group(g).bg_free_blocks_count(fs.group(g).bg_free_blocks_count() + 1);
            fs.bitmaps().markBlockDirty(g);
        }
    }

    public boolean inUse(long block) {
        Geometry geo = fs.geometry();
        int g = geo.groupOfBlock(block);
        return Bitmaps.test(fs.bitmaps().blockBitmap(g), (int) (block - geo.groupFirstBlock(g)));
    }
}
