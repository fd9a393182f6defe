package dev.ext4sim.ext4.remote;

import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.JournalHandle;
import dev.ext4sim.ext4.port.JournalTid;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A handle kept in ext4 until it stops: its operations are recorded (no round trip to jbd2 under the filesystem
 * lock) and the whole handle is queued on the journal pump at stop, with the trace-clock times it ran.
 */
final class LocalHandle implements JournalHandle {
    private final JournalPump pump;
    private final TraceContext owner;
    private final int type;
    private final int credits;
    private final int lineNo;
    private final long startedNanos;
    private final List<Jbd2Calls.Op> ops = new ArrayList<>();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private final Map<Long, byte[]> blocks = new LinkedHashMap<>();

    LocalHandle(JournalPump pump, TraceContext owner, int type, int credits, int lineNo, long startedNanos) {
        this.pump = pump;
        this.owner = owner;
        this.type = type;
        this.credits = credits;
        this.lineNo = lineNo;
        this.startedNanos = startedNanos;
    }

    @Override
    public void getWriteAccess(long block) {
        ops.add(new Jbd2Calls.Op(Jbd2Calls.GET_WRITE_ACCESS, block));
    }

    @Override
    public void dirtyMetadata(long block, byte[] contents) {
        ops.add(new Jbd2Calls.Op(Jbd2Calls.DIRTY_METADATA, block));
        data.writeBytes(contents);
        blocks.put(block, contents.clone());
    }

    @Override
    public void revoke(long block) {
        ops.add(new Jbd2Calls.Op(Jbd2Calls.REVOKE, block));
        blocks.put(block, null);
    }

    @Override
    public void forget(long block) {
        ops.add(new Jbd2Calls.Op(Jbd2Calls.FORGET, block));
        blocks.remove(block);
    }

    @Override
    public void inodeRangedWrite(long ino, long start, long length) {
        ops.add(Jbd2Calls.Op.inodeRangedWrite(ino, start, length));
    }

    @Override
    public JournalTid stop() {
        Jbd2Calls.BatchEntry entry = new Jbd2Calls.BatchEntry(credits, type, lineNo, ops, owner.task().comm(),
                owner.task().pid(), owner.traceId(), startedNanos, pump.now());
        return pump.enqueue(new PendingHandle(entry, data.toByteArray(), blocks));
    }
}
