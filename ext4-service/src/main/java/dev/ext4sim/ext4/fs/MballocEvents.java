package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.ext4.Allocation;
import dev.ext4sim.ondisk.ext4.FreeExtent;
import dev.ext4sim.ondisk.ext4.MballocListener;

/**
 * mballoc's tracepoints, emitted in the task of the operation that allocates (the buffer cache's context, set by
 * every operation under the filesystem lock), data and metadata allocations alike.
 */
final class MballocEvents implements MballocListener {
    private final Super sb;

    MballocEvents(Super sb) {
        this.sb = sb;
    }

    private TraceContext ctx() {
        return sb.cache.context();
    }

    @Override
    public void newGroupPa(long ino, long pstart, int len, long lstart) {
        sb.trace.ext4(Ext4Trace.MB_NEW_GROUP_PA, ctx(), ino, pstart, len, lstart);
    }

    @Override
    public void discardPreallocations(int needed) {
        sb.trace.ext4(Ext4Trace.MB_DISCARD_PREALLOCATIONS, ctx(), needed);
    }

    @Override
    public void releaseGroupPa(long pstart, int len) {
        sb.trace.ext4(Ext4Trace.MB_RELEASE_GROUP_PA, ctx(), pstart, len);
    }

    @Override
    public void mballocDiscard(int group, int start, int len) {
        sb.trace.ext4(Ext4Trace.MBALLOC_DISCARD, ctx(), 0L, start, group, len);
    }

    /**
     * ext4_mb_mark_diskspace_used's ext4_read_block_bitmap of the group the blocks came from, then
     * ext4_mb_collect_stats: blks, grps and cr as the search left them; tail and buddy are not modelled (0).
     */
    @Override
    public void collectStats(Allocation ac) {
        sb.readBlockBitmap(ctx(), ac.best().group());
        FreeExtent o = ac.orig();
        if (ac.prealloc()) {
            FreeExtent b = ac.best();
            sb.trace.ext4(Ext4Trace.MBALLOC_PREALLOC, ctx(), ac.ino(), o.logical(), o.start(), o.group(), o.len(),
                    b.logical(), b.start(), b.group(), b.len());
            return;
        }
        FreeExtent g = ac.goal();
        FreeExtent f = ac.found();
        sb.trace.ext4(Ext4Trace.MBALLOC_ALLOC, ctx(), ac.ino(), o.logical(), o.start(), o.group(), o.len(),
                g.logical(), g.start(), g.group(), g.len(), f.logical(), f.start(), f.group(), f.len(),
                ac.extentsFound(), ac.groupsScanned(), 0, ac.flags(), 0, ac.criteria());
    }
}
