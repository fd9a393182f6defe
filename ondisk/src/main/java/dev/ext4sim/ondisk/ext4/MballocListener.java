package dev.ext4sim.ondisk.ext4;

/**
 * The tracepoints inside mballoc, told in the kernel's order so that the filesystem's owner can emit them
 * (ext4-service does; the library itself traces nothing).
 */
public interface MballocListener {
    MballocListener NONE = new MballocListener() {
    };

    /** trace_ext4_mb_new_group_pa: a locality group preallocation of {@code len} blocks at {@code pstart}. */
    default void newGroupPa(long ino, long pstart, int len, long lstart) {
    }

    /** trace_ext4_mb_discard_preallocations: the allocator found nothing and frees preallocated space. */
    default void discardPreallocations(int needed) {
    }

    /** trace_ext4_mb_release_group_pa: what is left of a group preallocation goes back to the free space. */
    default void releaseGroupPa(long pstart, int len) {
    }

    /** trace_ext4_mballoc_discard (no inode: a group preallocation belongs to none). */
    default void mballocDiscard(int group, int start, int len) {
    }

    /** ext4_mb_collect_stats at the end of an allocation: trace_ext4_mballoc_alloc or trace_ext4_mballoc_prealloc. */
    default void collectStats(Allocation ac) {
    }
}
