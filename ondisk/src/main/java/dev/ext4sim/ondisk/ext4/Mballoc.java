package dev.ext4sim.ondisk.ext4;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The block allocator (mballoc.c, much simplified): the first free run at or after a goal block, searching
 * group by group and wrapping around, as ext4_mb_regular_allocator's goal pass does. Updates the bitmap
 * and bg_free_blocks_count; the superblock total is summed at flush.
 */
public final class Mballoc {
    /** {@code len} contiguous blocks from {@code start}. */
    public record Run(long start, int len) {
    }

    private final Ext4Filesystem fs;
    private java.util.function.LongPredicate busy;
    /** s_bal_allocated: read by metrics threads while the allocating thread adds. */
    private final LongAdder allocated = new LongAdder();

    Mballoc(Ext4Filesystem fs) {
        this.fs = fs;
    }

    /**
     * Blocks that are free in the bitmap but may not be handed out yet (the kernel's ext4_free_data: freed by a
     * transaction that has not committed, so a crash could still bring back the file that owned them). Allocation
     * skips them; null (the default) means none.
     */
    public void setBusy(java.util.function.LongPredicate busy) {
        this.busy = busy;
    }

    /**
     * ext4_mb_new_blocks: allocates up to {@code maxLen} contiguous blocks starting at the first free block at
     * or after {@code goal} (any group if that one is full). The run may be shorter than asked.
     */
    public Run newBlocks(long goal, int maxLen) {
        if (maxLen <= 0) {
            throw new IllegalArgumentException("allocation of " + maxLen + " blocks");
        }
        Geometry geo = fs.geometry();
        if (goal < geo.firstDataBlock() || goal >= geo.blocksCount()) {
            goal = geo.firstDataBlock();
        }
        int n = fs.groupCount();
        int g0 = geo.groupOfBlock(goal);
        for (int k = 0; k <= n; k++) {
            int g = (g0 + k) % n;
            GroupDesc gd = fs.group(g);
            if (gd.bg_free_blocks_count() == 0) {
                continue;
            }
            int from = k == 0 ? (int) (goal - geo.groupFirstBlock(g)) : 0;
            byte[] map = fs.bitmaps().blockBitmap(g);
            int limit = geo.blocksInGroup(g);
            long first = geo.groupFirstBlock(g);
            int bit = Bitmaps.findNextZero(map, from, limit);
            while (bit >= 0 && busy != null && busy.test(first + bit)) {
                bit = Bitmaps.findNextZero(map, bit + 1, limit);
            }
            if (bit < 0) {
                continue;
            }
            int len = 0;
            while (len < maxLen && bit + len < limit && !Bitmaps.test(map, bit + len)
                    && (len == 0 || busy == null || !busy.test(first + bit + len))) {
                Bitmaps.set(map, bit + len);
                len++;
            }
            gd.bg_free_blocks_count(gd.bg_free_blocks_count() - len);
            fs.bitmaps().markBlockDirty(g);
            allocated.add(len);
            return new Run(geo.groupFirstBlock(g) + bit, len);
        }
        throw new NoSpaceException("no free block for an allocation of " + maxLen);
    }

    /**
     * Blocks {@link #newBlocks} handed out since this filesystem was opened, data and metadata, blocks given back
     * since included: the "blocks allocated" of /proc/fs/ext4/&lt;dev&gt;/mb_stats.
     */
    public long blocksAllocated() {
        return allocated.sum();
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
