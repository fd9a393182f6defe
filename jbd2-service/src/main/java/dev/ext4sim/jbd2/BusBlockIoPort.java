package dev.ext4sim.jbd2;

import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.block.PowerOnFence;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.jbd2.io.BlockIoPort;
import java.time.Duration;

/**
 * The journal's I/O as blk_submit calls to blockdev-service, issued as the commit thread (jbd2/sda1-8), through the
 * {@link PowerOnFence}: jbd2-service goes down with a device that lost its cache, and recovers from the disk.
 */
final class BusBlockIoPort implements BlockIoPort {
    private final CallClient client;
    private final Duration timeout;
    private final Task task;
    private final PowerOnFence fence;

    BusBlockIoPort(CallClient client, Duration timeout, Task task, PowerOnFence fence) {
        this.client = client;
        this.timeout = timeout;
        this.task = task;
        this.fence = fence;
    }

    @Override
    public BlockIo.Completion submit(BlockIo.Submit submit) {
        try {
            return fence.completed(client.invoke(BlockIo.SERVICE, BlockIo.SUBMIT, fence.stamp(submit), timeout,
                    TraceContext.of(task)));
        } catch (ErrnoException e) {
            throw fence.failed(e);
        }
    }

    @Override
    public BlockIo.Completion submit(BlockIo.Submit submit, TraceContext ctx) {
        try {
            return fence.completed(client.invoke(BlockIo.SERVICE, BlockIo.SUBMIT, fence.stamp(submit), timeout, ctx));
        } catch (ErrnoException e) {
            throw fence.failed(e);
        }
    }

    @Override
    public long powerOn() {
        return fence.known();
    }
}
