package dev.ext4sim.ext4.fs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The extent status tree of one inode (extents_status.c): what ext4 knows of each logical range without reading the
 * extent tree — written (W), unwritten (U), delayed (D: reserved, no block yet) or a hole (H). Ranges never overlap;
 * neighbours of the same kind that continue each other are merged as ext4_es_try_to_merge_* do.
 */
final class ExtentStatus {
    /** One extent_status: [lblk, lblk+len) at pblk (meaningful for W and U), status as Flags.ES_*. */
    record Es(long lblk, long len, long pblk, int status) {
        long end() {
            return lblk + len;
        }

        boolean written() {
            return status == Flags.ES_WRITTEN;
        }

        boolean delayed() {
            return status == Flags.ES_DELAYED;
        }

        boolean hole() {
            return status == Flags.ES_HOLE;
        }

        /** es_pblk as printed: the block, or for delayed and hole extents 2^59-1 (4.x) or 0 (6.x). */
        long printedPblk(boolean v6) {
            return delayed() || hole() ? (v6 ? 0 : Flags.ES_PBLK_NONE) : pblk;
        }
    }

    private final TreeMap<Long, Es> tree = new TreeMap<>();
    /**
     * The starts of the extents with EXTENT_STATUS_REFERENCED, which a traced lookup's hit sets (the shrinker's aging
     * bit): a merge into an extent on the left keeps that extent's bit, the pieces of a split keep the original's.
     */
    private final java.util.Set<Long> referenced = new java.util.HashSet<>();

    /** Whether {@code es} (an extent of this tree) has the referenced bit. */
    boolean referenced(Es es) {
        return referenced.contains(es.lblk());
    }

    /** ext4_es_lookup_extent's hit: ext4_es_set_referenced. */
    void setReferenced(Es es) {
        referenced.add(es.lblk());
    }

    /** ext4_es_lookup_extent: the extent holding {@code lblk}, or null. */
    Es lookup(long lblk) {
        Map.Entry<Long, Es> e = tree.floorEntry(lblk);
        return e != null && e.getValue().end() > lblk ? e.getValue() : null;
    }

    /** ext4_es_cache_extent: [lblk, lblk+len) goes in only where no extent of the tree overlaps it. */
    boolean cache(long lblk, long len, long pblk, int status) {
        Map.Entry<Long, Es> e = tree.floorEntry(lblk + len - 1);
        if (e != null && e.getValue().end() > lblk) {
            return false;
        }
        insert(lblk, len, pblk, status);
        return true;
    }

    /** ext4_es_insert_extent: replaces whatever covered [lblk, lblk+len). */
    void insert(long lblk, long len, long pblk, int status) {
        remove(lblk, len);
        Es es = new Es(lblk, len, status == Flags.ES_WRITTEN || status == Flags.ES_UNWRITTEN ? pblk : -1, status);
        Map.Entry<Long, Es> left = tree.lowerEntry(lblk);
        if (left != null && mergeable(left.getValue(), es)) {
            Es l = left.getValue();
            tree.remove(l.lblk());
            es = new Es(l.lblk(), l.len() + es.len(), l.pblk(), status);
        } else {
            referenced.remove(es.lblk());
        }
        Es right = tree.get(es.end());
        if (right != null && mergeable(es, right)) {
            tree.remove(right.lblk());
            referenced.remove(right.lblk());
            es = new Es(es.lblk(), es.len() + right.len(), es.pblk(), status);
        }
        tree.put(es.lblk(), es);
    }

    private static boolean mergeable(Es a, Es b) {
        if (a.status() != b.status() || a.end() != b.lblk()) {
            return false;
        }
        return !(a.written() || a.status() == Flags.ES_UNWRITTEN) || a.pblk() + a.len() == b.pblk();
    }

    /** ext4_es_remove_extent: forgets [lblk, lblk+len), splitting extents that straddle its ends. */
    void remove(long lblk, long len) {
        long end = lblk + len;
        Map.Entry<Long, Es> first = tree.floorEntry(lblk);
        long from = first != null && first.getValue().end() > lblk ? first.getKey() : lblk;
        List<Es> hit = new ArrayList<>(tree.subMap(from, true, end, false).values());
        for (Es e : hit) {
            tree.remove(e.lblk());
            boolean ref = referenced.remove(e.lblk());
            if (e.lblk() < lblk) {
                tree.put(e.lblk(), new Es(e.lblk(), lblk - e.lblk(), e.pblk(), e.status()));
                if (ref) {
                    referenced.add(e.lblk());
                }
            }
            if (e.end() > end) {
                long cut = end - e.lblk();
                tree.put(end, new Es(end, e.end() - end, e.pblk() < 0 ? -1 : e.pblk() + cut, e.status()));
                if (ref) {
                    referenced.add(end);
                }
            }
        }
    }

    /** ext4_es_find_delayed_extent_range: the first delayed extent overlapping [lblk, end], or null. */
    Es findDelayed(long lblk, long end) {
        Es at = lookup(lblk);
        if (at != null && at.delayed()) {
            return at;
        }
        for (Es e : tree.tailMap(lblk, false).values()) {
            if (e.lblk() > end) {
                return null;
            }
            if (e.delayed()) {
                return e;
            }
        }
        return null;
    }

    void clear() {
        tree.clear();
        referenced.clear();
    }
}
