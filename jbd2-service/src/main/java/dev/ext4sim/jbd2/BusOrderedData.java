package dev.ext4sim.jbd2;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.crash.CrashPoints;
import dev.ext4sim.bus.ext4.OrderedDataCall;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.jbd2.journal.Jbd2CrashPoints;
import dev.ext4sim.jbd2.journal.OrderedData;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * data=ordered in T_FLUSH: one ext4_journal_submit_inode_data call to ext4-service with every inode range of the
 * committing transaction, answered once the data is on the device. The journal makes no call when the transaction
 * registered no range. A failure aborts the commit (the journal then refuses work until loaded again).
 */
final class BusOrderedData implements OrderedData {
    private final CallClient client;
    private final String dev;
    private final Duration timeout;
    private final Task task;
    private final CrashPoints crashPoints;

    BusOrderedData(CallClient client, String dev, Duration timeout, Task task, CrashPoints crashPoints) {
        this.crashPoints = crashPoints;
        this.client = client;
        this.dev = dev;
        this.timeout = timeout;
        this.task = task;
    }

    @Override
    public void writeAndWait(int tid, List<InodeRange> inodes) {
        OrderedDataCall.Request request = new OrderedDataCall.Request(dev, tid,
                inodes.stream().map(r -> new OrderedDataCall.InodeRange(r.ino(), r.start(), r.end())).toList());
        CompletableFuture<OrderedDataCall.Reply> call = client.call(OrderedDataCall.SERVICE, OrderedDataCall.CALL, request,
                timeout, TraceContext.of(task));
        crashPoints.hit(Jbd2CrashPoints.COMMIT_FLUSH); // the ordered data asked for, not yet on the device
        OrderedDataCall.Reply reply = client.await(call, OrderedDataCall.SERVICE, OrderedDataCall.CALL);
        if (!reply.ok()) {
            throw new ErrnoException(Errno.EIO, "ext4-service could not write the ordered data of transaction "
                    + Integer.toUnsignedString(tid));
        }
    }
}
