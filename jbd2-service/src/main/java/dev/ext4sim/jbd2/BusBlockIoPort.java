package dev.ext4sim.jbd2;

import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.jbd2.io.BlockIoPort;
import java.time.Duration;

/** The journal's I/O as blk_submit calls to blockdev-service, issued as the commit thread (jbd2/sda1-8). */
final class BusBlockIoPort implements BlockIoPort {
    private final CallClient client;
    private final Duration timeout;
    private final Task task;

    BusBlockIoPort(CallClient client, Duration timeout, Task task) {
        this.client = client;
        this.timeout = timeout;
        this.task = task;
    }

    @Override
    public BlockIo.Completion submit(BlockIo.Submit submit) {
        return client.invoke(BlockIo.SERVICE, BlockIo.SUBMIT, submit, timeout, TraceContext.of(task));
    }
}
