package dev.ext4sim.jbd2.journal;

import dev.ext4sim.bus.trace.Jiffies;
import dev.ext4sim.bus.trace.TraceContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.LongPredicate;

/**
 * The block device inode's page cache as the VM sees the journal's home blocks: which buffers are dirty
 * ({@code BH_Dirty}; with 4 KiB blocks one buffer per page, so also which pages) and the inode's dirty state. A
 * commit's t_forget pass exposes each committed buffer here ({@link #mark_buffer_dirty}); it stays dirty until the
 * block device's flusher writes it back, which ext4sim's checkpoint pass stands for ({@link #writtenBack}). State lock
 * held by every caller.
 */
final class BdevInode {
    /** What writeback-service must learn when the inode joins the bdi's dirty list (6.x: it writes the pages). */
    @FunctionalInterface
    interface Dirtied {
        Dirtied NONE = (ino, state, dirtiedWhen) -> {
        };

        void inodeDirtied(long ino, int state, long dirtiedWhen);
    }

    private final BdevTrace trace;
    /** Pages tagged dirty, by index (= home block): the buffer's BH_Dirty unless a transaction journals it again. */
    private final TreeSet<Long> dirtyBuffers = new TreeSet<>();
    /** i_state's dirty bits. */
    private int state;
    private volatile Dirtied dirtied = Dirtied.NONE;

    BdevInode(BdevTrace trace) {
        this.trace = Objects.requireNonNull(trace);
    }

    /**
     * {@code mark_buffer_dirty} (fs/buffer.c) of home block {@code block}: traced always; a buffer still dirty from
     * an earlier commit stops there, otherwise its page turns dirty and the inode gets I_DIRTY_PAGES.
     */
    void mark_buffer_dirty(TraceContext ctx, long block) {
        trace.blockDirtyBuffer(ctx, block);
        if (!dirtyBuffers.add(block)) {
            return;
        }
        trace.dirtyPage(ctx, block);
        __mark_inode_dirty(ctx, BdevTrace.I_DIRTY_PAGES);
    }

    /**
     * {@code __mark_inode_dirty} (fs/fs-writeback.c): traced before anything changes; an inode that was clean joins
     * the wb's dirty list (a block device inode though unhashed), stamped with dirtied_when.
     */
    private void __mark_inode_dirty(TraceContext ctx, int flags) {
        trace.markInodeDirty(ctx, state, flags);
        if ((state & flags) == flags) {
            return;
        }
        boolean wasDirty = (state & BdevTrace.I_DIRTY) != 0;
        state |= flags;
        if (!wasDirty) {
            long when = Jiffies.at(trace.now());
            trace.dirtyInodeEnqueue(ctx, state, when);
            dirtied.inodeDirtied(trace.ino(), state, when);
        }
    }

    void dirtied(Dirtied listener) {
        this.dirtied = Objects.requireNonNull(listener);
    }

    /** One page write_cache_pages took: its home block, and whether its buffer was dirty (then it needs a bio). */
    record Page(long block, boolean bufferDirty) {
    }

    /**
     * write_cache_pages over the dirty pages from index 0 up, at most {@code wbc.nrToWrite()} of them, each traced
     * (wbc_writepage, nr_to_write before the page counts) and cleaned. A buffer that a transaction journals again
     * ({@code journaled}) is not dirty: do_get_write_access cleared BH_Dirty, so block_write_full_folio writes nothing
     * for its page, which still counts. The inode is clean once no page is left.
     */
    List<Page> write_cache_pages(TraceContext ctx, BdevWbc wbc, LongPredicate journaled) {
        List<Page> taken = new ArrayList<>();
        long left = wbc.nrToWrite();
        while (left > 0 && !dirtyBuffers.isEmpty()) {
            long block = dirtyBuffers.pollFirst();
            trace.wbcWritepage(ctx, wbc, left);
            taken.add(new Page(block, !journaled.test(block)));
            left--;
        }
        if (dirtyBuffers.isEmpty()) {
            state &= ~BdevTrace.I_DIRTY_PAGES;
        }
        return taken;
    }

    /** The pages' I/O failed: they are dirty again (the buffers stay uptodate and dirty). */
    void redirty(List<Page> pages) {
        for (Page p : pages) {
            dirtyBuffers.add(p.block());
        }
        if (!dirtyBuffers.isEmpty()) {
            state |= BdevTrace.I_DIRTY_PAGES;
        }
    }

    boolean hasDirtyPages() {
        return !dirtyBuffers.isEmpty();
    }

    /** The pages went home: every buffer, page and the inode are clean again. */
    void writtenBack() {
        dirtyBuffers.clear();
        state = 0;
    }

    /** Whether home block {@code block}'s buffer is dirty, for tests. */
    boolean isDirty(long block) {
        return dirtyBuffers.contains(block);
    }
}
