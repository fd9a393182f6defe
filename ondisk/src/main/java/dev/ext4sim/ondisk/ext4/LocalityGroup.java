package dev.ext4sim.ondisk.ext4;

import java.util.ArrayList;
import java.util.List;

/**
 * struct ext4_locality_group, one per cpu: the group preallocations small files take their blocks from, in lists by
 * the order of their free length (lg_prealloc_list[PREALLOC_TB_SIZE]), each list sorted by free length.
 */
final class LocalityGroup {
    /** PREALLOC_TB_SIZE. */
    static final int TB_SIZE = 10;
    /** ext4_mb_add_n_trim trims a list longer than this. */
    static final int TRIM_OVER = 8;

    final int cpu;
    private final List<List<GroupPrealloc>> lists = new ArrayList<>(TB_SIZE);

    LocalityGroup(int cpu) {
        this.cpu = cpu;
        for (int i = 0; i < TB_SIZE; i++) {
            lists.add(new ArrayList<>());
        }
    }

    /** fls(n) - 1, capped at the last list. */
    static int order(int n) {
        return Math.min(31 - Integer.numberOfLeadingZeros(n), TB_SIZE - 1);
    }

    List<GroupPrealloc> list(int order) {
        return lists.get(order);
    }

    /**
     * ext4_mb_use_preallocated's locality group pass: of the preallocations with {@code len} blocks free, the one that
     * starts nearest {@code goal} (the first found on a tie), searching from the request's order up.
     */
    GroupPrealloc nearest(long goal, int len) {
        GroupPrealloc best = null;
        for (int i = order(len); i < TB_SIZE; i++) {
            for (GroupPrealloc pa : lists.get(i)) {
                if (!pa.deleted && pa.free >= len
                        && (best == null || Math.abs(goal - pa.pstart) < Math.abs(goal - best.pstart))) {
                    best = pa;
                }
            }
        }
        return best;
    }

    /**
     * ext4_mb_add_n_trim's insertion: into the list of its order, before the first with more free blocks.
     *
     * @return how many entries that list holds now
     */
    int add(GroupPrealloc pa) {
        List<GroupPrealloc> list = lists.get(order(pa.free));
        int at = -1;
        int count = 1;
        for (int i = 0; i < list.size(); i++) {
            GroupPrealloc tmp = list.get(i);
            if (tmp.deleted) {
                continue;
            }
            if (at < 0 && pa.free < tmp.free) {
                at = i;
            }
            count++;
        }
        if (at < 0) {
            list.add(pa);
        } else {
            list.add(at, pa);
        }
        return count;
    }

    void remove(GroupPrealloc pa) {
        for (List<GroupPrealloc> list : lists) {
            list.remove(pa);
        }
    }

    boolean isEmpty() {
        return lists.stream().allMatch(List::isEmpty);
    }
}
