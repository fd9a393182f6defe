package dev.ext4sim.ondisk.jbd2;

import java.util.HashMap;
import java.util.Map;

/**
 * The recovery revoke table (fs/jbd2/revoke.c, {@code jbd2_journal_set_revoke} / {@code jbd2_journal_test_revoke}):
 * for each revoked home block, the highest tid that revoked it. A block logged by transaction T is not replayed
 * if some transaction with tid ≥ T revoked it.
 */
final class RevokeTable {
    private final Map<Long, Integer> highestTid = new HashMap<>();

    /** tid order with wraparound, as {@code tid_gt}. */
    static boolean tidGt(int x, int y) {
        return x - y > 0;
    }

    static boolean tidGeq(int x, int y) {
        return x - y >= 0;
    }

    void setRevoke(long block, int tid) {
        highestTid.merge(block, tid, (old, now) -> tidGt(now, old) ? now : old);
    }

    boolean testRevoke(long block, int tid) {
        Integer rec = highestTid.get(block);
        return rec != null && !tidGt(tid, rec);
    }

    int size() {
        return highestTid.size();
    }
}
