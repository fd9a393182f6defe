package dev.ext4sim.blockdev.block;

import java.util.Set;

/** blk_fill_rwbs(): the rwbs letters of block tracepoints (reference/tracepoints.md §4.8). */
public final class Rwbs {
    private Rwbs() {
    }

    public static String of(ReqOp op, Set<ReqFlag> flags) {
        StringBuilder s = new StringBuilder(8);
        if (flags.contains(ReqFlag.PREFLUSH)) {
            s.append('F');
        }
        s.append(switch (op) {
            case WRITE -> 'W';
            case READ -> 'R';
            case FLUSH -> 'F';
        });
        if (flags.contains(ReqFlag.FUA)) {
            s.append('F');
        }
        if (flags.contains(ReqFlag.SYNC)) {
            s.append('S');
        }
        if (flags.contains(ReqFlag.META)) {
            s.append('M');
        }
        return s.toString();
    }
}
