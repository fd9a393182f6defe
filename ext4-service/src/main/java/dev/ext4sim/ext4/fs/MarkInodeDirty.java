package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.WritebackPort;

/**
 * __mark_inode_dirty (fs/fs-writeback.c) with ext4's dirty_inode hook (ext4_dirty_inode), which run in the writer's
 * task inside ext4's call path. Putting the inode on the bdi's dirty list is the writeback owner's: it is told each
 * time the inode gains dirty bits, with the dirtied_when of its first dirtying, except while the flusher writes the
 * inode back (I_SYNC), whose answer carries them.
 */
final class MarkInodeDirty {
    private final Super sb;

    MarkInodeDirty(Super sb) {
        this.sb = sb;
    }

    /**
     * @param current the handle the task already holds (ext4_dirty_inode then nests in it), or null
     */
    void markInodeDirty(TraceContext ctx, Ext4InodeInfo ei, int flags, Ext4Handle current) {
        sb.trace.writeback(Ext4Trace.WB_MARK_INODE_DIRTY, ctx, (long) ei.ino, ei.state, flags);
        if ((flags & Flags.I_DIRTY_INODE) != 0) {
            sb.trace.writeback(Ext4Trace.WB_DIRTY_INODE_START, ctx, (long) ei.ino, ei.state, flags);
            dirtyInode(ctx, ei, current);
            sb.trace.writeback(Ext4Trace.WB_DIRTY_INODE, ctx, (long) ei.ino, ei.state, flags);
        }
        if ((ei.state & flags) == flags) {
            return;
        }
        boolean wasDirty = (ei.state & Flags.I_DIRTY) != 0;
        ei.state |= flags;
        if ((ei.state & Flags.I_SYNC) != 0) {
            // being written back: whoever holds I_SYNC takes the bits when its do_writepages returns
            return;
        }
        if (!wasDirty) {
            ei.dirtiedWhen = sb.jiffies();
        }
        // Every new bit, not only the first: the flusher calls write_inode for an inode whose metadata is dirty
        // (I_DIRTY_SYNC), and it keeps the first dirtied_when and list position itself.
        sb.writeback.inodeDirtied(ctx, new WritebackPort.InodeDirtied(sb.devT, ei.ino, ei.state, flags, ei.mode(), ei.dirtiedWhen));
    }

    /** ext4_dirty_inode: a 2-credit INODE handle (nested in the writer's own, if any) around ext4_mark_inode_dirty. */
    private void dirtyInode(TraceContext ctx, Ext4InodeInfo ei, Ext4Handle current) {
        Ext4Handle h = sb.journalStart(ctx, current, Super.HT_INODE, 2, Caller.DIRTY_INODE, ei.ino);
        try {
            sb.markInodeDirty(ctx, h, ei, Caller.DIRTY_INODE_MARK, false);
        } finally {
            sb.journalStop(h);
        }
    }
}
