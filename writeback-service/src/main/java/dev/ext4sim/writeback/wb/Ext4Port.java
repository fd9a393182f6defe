package dev.ext4sim.writeback.wb;

import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import java.util.List;

/**
 * What the flusher needs from ext4 (ext4-service owns the page cache): do_writepages and write_inode for one inode,
 * and, after a restart, the inodes that are still dirty. Calls run in the kworker's task ({@code ctx}), so ext4
 * traces ext4_writepages and the block events under {@code kworker/u16:N}. A failure is an {@link ErrnoException}
 * (EIO, or ETIMEDOUT while ext4 is down); the flusher then treats the inode as still dirty and retries it later.
 */
public interface Ext4Port {
    /** do_writepages → ext4_writepages with this wbc; at most {@code wbc.nrToWrite()} pages. */
    Written writepages(int dev, long ino, WritebackControl wbc, TraceContext ctx);

    /**
     * write_inode → ext4_write_inode, called when metadata dirty bits were set. With a journal it does nothing unless
     * WB_SYNC_ALL and not for_sync (then ext4_force_commit), so the default does nothing.
     */
    default void write_inode(int dev, long ino, WritebackControl wbc, TraceContext ctx) {
    }

    /**
     * blk_finish_plug at the end of the flusher's round: what ext4 does when the round's bios complete (6.x: the
     * conversion of the unwritten extents they wrote) runs now. Nothing to do by default.
     */
    default void finishPlug(int dev, TraceContext ctx) {
    }

    /** The inodes of {@code dev} with dirty pages or metadata, for rebuilding the lists after a restart. */
    List<DirtyInode> dirtyInodes(int dev);

    /**
     * The outcome of one writepages call.
     *
     * @param pagesWritten   pages submitted (wbc->nr_to_write went down by this much)
     * @param stillDirty     the mapping is still tagged dirty (pages left over or redirtied meanwhile)
     * @param writebackIndex mapping->writeback_index after the call, where the next cyclic pass starts
     * @param inodeDirty     I_DIRTY_SYNC/I_DIRTY_DATASYNC of the inode after the call: ext4 dirties it during
     *                       writepages (delalloc's quota claim) while it carries I_SYNC, and tells no one else
     */
    record Written(long pagesWritten, boolean stillDirty, long writebackIndex, int inodeDirty) {
        public Written(long pagesWritten, boolean stillDirty, long writebackIndex) {
            this(pagesWritten, stillDirty, writebackIndex, 0);
        }
    }

    /**
     * A dirty inode as ext4 knows it.
     *
     * @param state       its I_DIRTY_* bits ({@link InodeState})
     * @param dirtiedWhen jiffies when it was first dirtied
     * @param nrDirty     its dirty pages
     */
    record DirtyInode(long ino, int state, long dirtiedWhen, long nrDirty) {
    }
}
