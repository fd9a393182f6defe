package dev.ext4sim.ondisk.ext4;

/**
 * struct ext4_prealloc_space of a locality group (MB_GROUP_PA): blocks set aside in memory only, handed out from the
 * front, so what is left is always the run [pa_pstart, pa_pstart + pa_len). For a group preallocation pa_free equals
 * pa_len and pa_lstart follows pa_pstart.
 */
final class GroupPrealloc {
    /** The block group the run lies in (bb_prealloc_list it is on). */
    final int group;
    final LocalityGroup lg;
    long pstart;
    long lstart;
    int len;
    int free;
    boolean deleted;

    GroupPrealloc(int group, LocalityGroup lg, long pstart, int len) {
        this.group = group;
        this.lg = lg;
        this.pstart = pstart;
        this.lstart = pstart;
        this.len = len;
        this.free = len;
    }

    /** ext4_mb_release_context's correction once the used blocks are marked on disk. */
    void consume(int n) {
        pstart += n;
        lstart += n;
        free -= n;
        len -= n;
    }

    @Override
    public String toString() {
        return "group pa " + pstart + "+" + len + (deleted ? " (deleted)" : "");
    }
}
