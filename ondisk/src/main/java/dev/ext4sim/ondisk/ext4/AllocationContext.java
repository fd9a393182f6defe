package dev.ext4sim.ondisk.ext4;

/** struct ext4_allocation_context while ext4_mb_new_blocks works on it. */
final class AllocationContext {
    final AllocationRequest ar;
    /** ac_o_ex: what was asked, at the goal. */
    final FreeExtent o;
    /** ac_g_ex: the goal after normalisation. */
    FreeExtent g;
    /** ac_b_ex: what the file gets. */
    FreeExtent b;
    /** ac_f_ex: what the allocator found, before a new preallocation kept the rest. */
    FreeExtent f;
    int flags;
    LocalityGroup lg;
    GroupPrealloc pa;
    /** ac_op: EXT4_MB_HISTORY_PREALLOC until the allocator has to search. */
    boolean prealloc = true;
    int criteria;
    int found;
    int groups;

    AllocationContext(AllocationRequest ar, FreeExtent o) {
        this.ar = ar;
        this.o = o;
        this.g = o;
        this.b = new FreeExtent(o.logical(), 0, 0, 0);
        this.f = b;
        this.flags = ar.flags();
    }

    Allocation snapshot(long block) {
        return new Allocation(ar.ino(), o, g, f, b, block, flags, prealloc, found, groups, criteria);
    }
}
