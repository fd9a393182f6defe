package dev.ext4sim.writeback;

import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.writeback.wb.BlkPlug;
import java.time.Duration;
import java.util.Objects;

/** The flusher's blk_finish_plug as a call to blockdev-service, in the kworker's task and trace id. */
final class BusBlkPlug implements BlkPlug {
    private final CallClient client;
    private final DevNames names;
    private final Duration timeout;

    BusBlkPlug(CallClient client, DevNames names, Duration timeout) {
        this.client = Objects.requireNonNull(client);
        this.names = Objects.requireNonNull(names);
        this.timeout = Objects.requireNonNull(timeout);
    }

    @Override
    public void blk_finish_plug(int dev, TraceContext ctx) {
        client.invoke(BlockIo.SERVICE, BlockIo.FINISH_PLUG, new BlockIo.FinishPlug(names.name(dev)), timeout, ctx);
    }
}
