package dev.ext4sim.ondisk.ext4;

/**
 * What ext4_mb_new_blocks did, as its tracepoints read struct ext4_allocation_context: the request ({@code orig},
 * ac_o_ex), the normalised goal ({@code goal}, ac_g_ex), what the allocator found before a preallocation took its
 * share ({@code found}, ac_f_ex) and what the file got ({@code best}, ac_b_ex, at block {@code block}).
 *
 * @param prealloc served from a preallocation (EXT4_MB_HISTORY_PREALLOC: traced as ext4_mballoc_prealloc), else
 *                 by the allocator (ext4_mballoc_alloc)
 * @param flags    ac_flags: the request's hints and what ext4_mb_group_or_file and normalisation added
 */
public record Allocation(long ino, FreeExtent orig, FreeExtent goal, FreeExtent found, FreeExtent best, long block,
                         int flags, boolean prealloc, int extentsFound, int groupsScanned, int criteria) {
    /** Blocks handed out (ar->len after the call). */
    public int len() {
        return best.len();
    }
}
