package dev.ext4sim.jbd2.journal;

import dev.ext4sim.bus.trace.Jiffies;
import dev.ext4sim.bus.trace.TraceContext;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * The block device inode's page cache as the VM sees the journal's home blocks: which buffers are dirty
 * ({@code BH_Dirty}; with 4 KiB blocks one buffer per page, so also which pages) and the inode's dirty state. A
 * commit's t_forget pass exposes each committed buffer here ({@link #mark_buffer_dirty}); it stays dirty until the
 * block device's flusher writes it back, which ext4sim's checkpoint pass stands for ({@link #writtenBack}). State lock
 * held by every caller.
 */
final class BdevInode {
    private final BdevTrace trace;
    private final Set<Long> dirtyBuffers = new HashSet<>();
    /** i_state's dirty bits. */
    private int state;

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
            trace.dirtyInodeEnqueue(ctx, state, Jiffies.at(trace.now()));
        }
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
