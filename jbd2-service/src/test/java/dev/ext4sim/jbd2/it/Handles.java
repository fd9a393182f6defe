package dev.ext4sim.jbd2.it;

import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.trace.TraceContext;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** ext4's side of a handle, as the ITs send it: whole handles (RUN) of get_write_access + dirty_metadata pairs. */
final class Handles {
    private Handles() {
    }

    static byte[] fill(int value) {
        byte[] b = new byte[4096];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** One handle dirtying {@code blocks} (home block → new contents), in one round trip. */
    static Jbd2Calls.RunHandle run(long epoch, Map<Long, byte[]> blocks) {
        List<Jbd2Calls.Op> ops = new ArrayList<>();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        blocks.forEach((block, contents) -> {
            ops.add(new Jbd2Calls.Op(Jbd2Calls.GET_WRITE_ACCESS, block));
            ops.add(new Jbd2Calls.Op(Jbd2Calls.DIRTY_METADATA, block));
            data.writeBytes(contents);
        });
        return new Jbd2Calls.RunHandle(epoch, Math.max(1, blocks.size()), 1, 4242, false, ops, data.toByteArray());
    }

    static int runAndComplete(long epoch, Map<Long, byte[]> blocks, TraceContext task) {
        int tid = Stack.jbd2(Jbd2Calls.RUN, run(epoch, blocks), task).tid();
        Stack.jbd2(Jbd2Calls.WAIT, new Jbd2Calls.Wait(epoch, Jbd2Calls.COMPLETE_TRANSACTION, tid), task);
        return tid;
    }

    static long number(Object field) {
        return ((Number) field).longValue();
    }
}
