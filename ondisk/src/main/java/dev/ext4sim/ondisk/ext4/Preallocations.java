package dev.ext4sim.ondisk.ext4;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * mballoc's in-core preallocation state: each group's bb_prealloc_list and the per-cpu locality groups
 * (s_locality_groups). The in-core view of a group is its on-disk bitmap plus these runs, so the allocator skips
 * them; the bitmap holds only the blocks handed out, and an unmount or a crash simply forgets the rest.
 */
final class Preallocations {
    private final Geometry geo;
    /** bb_prealloc_list: newest first (list_add). */
    private final List<Deque<GroupPrealloc>> byGroup;
    /** s_locality_groups, by cpu. */
    private final Map<Integer, LocalityGroup> lgs = new HashMap<>();
    /** s_mb_preallocated and s_mb_discarded. */
    long preallocated;
    long discarded;

    Preallocations(Geometry geo) {
        this.geo = geo;
        this.byGroup = new ArrayList<>(geo.groupCount());
        for (int g = 0; g < geo.groupCount(); g++) {
            byGroup.add(new ArrayDeque<>());
        }
    }

    LocalityGroup localityGroup(int cpu) {
        return lgs.computeIfAbsent(cpu, LocalityGroup::new);
    }

    void add(GroupPrealloc pa) {
        byGroup.get(pa.group).addFirst(pa);
        preallocated += pa.free;
    }

    /** ext4_mb_put_pa of a used-up preallocation: it leaves its group and its locality group without a trace. */
    void drop(GroupPrealloc pa) {
        pa.deleted = true;
        byGroup.get(pa.group).remove(pa);
        pa.lg.remove(pa);
    }

    /** The bit just past the preallocation holding bit {@code bit} of {@code group}, or -1 when none holds it. */
    int heldUntil(int group, int bit) {
        long block = geo.groupFirstBlock(group) + bit;
        for (GroupPrealloc pa : byGroup.get(group)) {
            if (pa.len > 0 && block >= pa.pstart && block < pa.pstart + pa.len) {
                return (int) (pa.pstart + pa.len - geo.groupFirstBlock(group));
            }
        }
        return -1;
    }

    /** The first bit after {@code bit} of {@code group} that a preallocation holds, or {@code limit}. */
    int nextHeld(int group, int bit, int limit) {
        long first = geo.groupFirstBlock(group);
        int next = limit;
        for (GroupPrealloc pa : byGroup.get(group)) {
            int start = (int) (pa.pstart - first);
            if (pa.len > 0 && start > bit && start < next) {
                next = start;
            }
        }
        return next;
    }

    /** Blocks held by preallocations: free for statfs, not for the allocator. */
    long heldBlocks() {
        long n = 0;
        for (Deque<GroupPrealloc> list : byGroup) {
            for (GroupPrealloc pa : list) {
                n += pa.free;
            }
        }
        return n;
    }

    boolean isEmpty() {
        return byGroup.stream().allMatch(Deque::isEmpty);
    }

    /**
     * ext4_mb_discard_preallocations: group by group until {@code needed} blocks came free.
     *
     * @return the blocks freed
     */
    int discard(int needed, MballocListener events) {
        events.discardPreallocations(needed);
        int freed = 0;
        for (int g = 0; g < byGroup.size() && needed > 0; g++) {
            int ret = discardGroup(g, needed, events);
            freed += ret;
            needed -= ret;
        }
        return freed;
    }

    /** ext4_mb_discard_group_preallocations: every preallocation of the group, whatever {@code needed} is. */
    private int discardGroup(int group, int needed, MballocListener events) {
        Deque<GroupPrealloc> list = new ArrayDeque<>();
        int free = 0;
        for (Iterator<GroupPrealloc> it = byGroup.get(group).iterator(); it.hasNext(); ) {
            GroupPrealloc pa = it.next();
            if (pa.deleted) {
                continue;
            }
            pa.deleted = true;
            free += pa.free;
            it.remove();
            list.addFirst(pa);
        }
        for (GroupPrealloc pa : list) {
            pa.lg.remove(pa);
            release(pa, events);
        }
        return free;
    }

    /**
     * ext4_mb_discard_lg_preallocations: trims list {@code order} of {@code lg} down to five entries, sparing
     * {@code inUse} (the one the allocation at hand holds).
     */
    void discardLg(LocalityGroup lg, int order, int total, GroupPrealloc inUse, MballocListener events) {
        Deque<GroupPrealloc> discard = new ArrayDeque<>();
        for (Iterator<GroupPrealloc> it = lg.list(order).iterator(); it.hasNext(); ) {
            GroupPrealloc pa = it.next();
            if (pa == inUse || pa.deleted) {
                continue;
            }
            pa.deleted = true;
            it.remove();
            discard.addFirst(pa);
            total--;
            if (total <= 5) {
                break;
            }
        }
        for (GroupPrealloc pa : discard) {
            byGroup.get(pa.group).remove(pa);
            release(pa, events);
        }
    }

    /** ext4_mb_release_group_pa: the rest of the run is free again (in core; the bitmap never had it). */
    private void release(GroupPrealloc pa, MballocListener events) {
        events.releaseGroupPa(pa.pstart, pa.len);
        discarded += pa.len;
        int group = geo.groupOfBlock(pa.pstart);
        events.mballocDiscard(group, (int) (pa.pstart - geo.groupFirstBlock(group)), pa.len);
    }

    /** ext4_mb_release at unmount (ext4_mb_cleanup_pa): every preallocation is forgotten, nothing is traced. */
    void clear() {
        for (Deque<GroupPrealloc> list : byGroup) {
            for (GroupPrealloc pa : list) {
                pa.deleted = true;
            }
            list.clear();
        }
        lgs.clear();
    }
}
