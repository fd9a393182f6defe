package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.ext4.SuperBlock;
import java.util.ArrayList;
import java.util.List;

/**
 * The orphan list (namei.c ext4_orphan_add / ext4_orphan_del): inodes whose blocks past their on-disk size a crash
 * must not leave allocated. On disk it is a chain: s_last_orphan names the newest, whose i_dtime (NEXT_ORPHAN) names
 * the next. In memory it is sbi->s_orphan, newest first, so that a removal knows which link to rewrite. Both changes
 * go through the caller's handle; ext4_mark_iloc_dirty writes the inode without an ext4_mark_inode_dirty event.
 */
final class Orphan {
    private final Super sb;
    /** sbi->s_orphan, head (newest) first: the on-disk chain's order. */
    private final List<Ext4InodeInfo> list = new ArrayList<>();

    Orphan(Super sb) {
        this.sb = sb;
    }

    boolean contains(Ext4InodeInfo ei) {
        return list.contains(ei);
    }

    /**
     * ext4_orphan_cleanup's list_add of an inode read off the on-disk chain: it is the chain's head already, so only
     * memory changes, and the ext4_orphan_del that ends its cleanup relinks s_last_orphan past it.
     */
    void listAdd(Ext4InodeInfo ei) {
        if (!list.contains(ei)) {
            list.addFirst(ei);
        }
    }

    /** ext4_orphan_add: at the head of the on-disk chain, unless a link left by an earlier error says it is on it. */
    void add(TraceContext ctx, Ext4Handle h, Ext4InodeInfo ei) {
        if (list.contains(ei)) {
            return;
        }
        SuperBlock es = sb.fs.superBlock();
        sb.getInodeLoc(ctx, ei.ino); // ext4_reserve_inode_write
        long next = ei.raw.i_dtime();
        if (next == 0 || next > es.s_inodes_count()) {
            ei.raw.i_dtime(Integer.toUnsignedLong(es.s_last_orphan()));
            es.s_last_orphan(ei.ino);
            sb.handleDirtySuper();
            markIlocDirty(h, ei);
        }
        list.addFirst(ei);
    }

    /**
     * ext4_orphan_del: off the in-memory list; with a handle also off the chain, by relinking the superblock (for the
     * head) or the newer neighbour past it. Without one (the error path) only memory changes.
     */
    void del(TraceContext ctx, Ext4Handle h, Ext4InodeInfo ei) {
        int at = list.indexOf(ei);
        if (at < 0) {
            return;
        }
        if (h != null) {
            sb.getInodeLoc(ctx, ei.ino);
        }
        list.remove(at);
        if (h == null) {
            return;
        }
        int next = (int) ei.raw.i_dtime();
        if (at == 0) {
            sb.fs.superBlock().s_last_orphan(next);
            sb.handleDirtySuper();
        } else {
            Ext4InodeInfo prev = list.get(at - 1);
            sb.getInodeLoc(ctx, prev.ino);
            prev.raw.i_dtime(Integer.toUnsignedLong(next));
            markIlocDirty(h, prev);
        }
        ei.raw.i_dtime(0);
        markIlocDirty(h, ei);
    }

    /** ext4_mark_iloc_dirty: the in-core inode into its table block, in the handle; no tracepoint of its own. */
    private void markIlocDirty(Ext4Handle h, Ext4InodeInfo ei) {
        sb.fs.inodes().write(ei.raw);
        h.marked(ei, false);
    }
}
