package dev.ext4sim.jbd2.journal;

import java.util.Map;
import java.util.TreeMap;

/**
 * The extent status tree of the journal inode (fs/ext4/extents_status.c) as the log-block mapping fills it: written
 * extents only, each with the referenced bit that a lookup hit sets (EXTENT_STATUS_REFERENCED, the shrinker's aging
 * hint). A block inserted next to a physically contiguous extent joins it, as __es_insert_extent and
 * ext4_es_try_to_merge_left/right do, so a log that was mapped block by block ends up as one extent per extent of
 * the inode.
 */
final class JournalExtentStatus {
    /** One extent_status: [lblk, lblk+len) at pblk, written; {@code referenced} once a lookup found it. */
    private static final class Es {
        long lblk;
        long len;
        long pblk;
        boolean referenced;

        Es(long lblk, long len, long pblk) {
            this.lblk = lblk;
            this.len = len;
            this.pblk = pblk;
        }

        long end() {
            return lblk + len;
        }

        int status() {
            return Ext4MapTrace.ES_WRITTEN | (referenced ? Ext4MapTrace.ES_REFERENCED : 0);
        }
    }

    /** What ext4_es_lookup_extent copied out: the extent's range, block and status bits as they were before the hit. */
    record Found(long lblk, long len, long pblk, int status) {
        long map(long block) {
            return pblk + (block - lblk);
        }
    }

    private final TreeMap<Long, Es> tree = new TreeMap<>();

    /**
     * ext4_es_lookup_extent: the extent holding {@code lblk}, or null. The copy is taken before the hit marks the
     * extent referenced, so the first hit on an extent prints W and later ones W|REFERENCED.
     */
    Found lookup(long lblk) {
        Map.Entry<Long, Es> e = tree.floorEntry(lblk);
        if (e == null || e.getValue().end() <= lblk) {
            return null;
        }
        Es es = e.getValue();
        Found found = new Found(es.lblk, es.len, es.pblk, es.status());
        es.referenced = true;
        return found;
    }

    /**
     * ext4_es_insert_extent of written blocks no extent holds yet: [lblk, lblk+len) at pblk joins a neighbour that
     * continues it logically and physically; the merged extent is referenced if either part was.
     */
    void insertWritten(long lblk, long len, long pblk) {
        Map.Entry<Long, Es> below = tree.floorEntry(lblk + len - 1);
        if (below != null && below.getValue().end() > lblk) {
            throw new IllegalStateException("journal block " + lblk + " is already in the extent status tree");
        }
        Es es = new Es(lblk, len, pblk);
        Map.Entry<Long, Es> left = tree.lowerEntry(lblk);
        if (left != null && continues(left.getValue(), es)) {
            Es l = left.getValue();
            l.len += es.len;
            es = l;
        } else {
            tree.put(es.lblk, es);
        }
        Es right = tree.get(es.end());
        if (right != null && continues(es, right)) {
            tree.remove(right.lblk);
            es.len += right.len;
            es.referenced |= right.referenced;
        }
    }

    /** ext4_es_can_be_merged for two written extents. */
    private static boolean continues(Es a, Es b) {
        return a.end() == b.lblk && a.pblk + a.len == b.pblk;
    }

    /** The extents, as [lblk/len) pblk status, for tests. */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        for (Es es : tree.values()) {
            out.append('[').append(es.lblk).append('/').append(es.len).append(") ").append(es.pblk)
                    .append(es.referenced ? " WR " : " W ");
        }
        return out.toString().trim();
    }
}
