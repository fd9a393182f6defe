package dev.ext4sim.writeback;

import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.writeback.wb.BdevPort;
import dev.ext4sim.writeback.wb.Ext4Port;
import dev.ext4sim.writeback.wb.WritebackControl;
import java.time.Duration;
import java.util.Objects;

/**
 * The flusher's call into jbd2-service for the block device inode: blkdev_writepages in the kworker's task and
 * trace id. An errno comes back as the {@link dev.ext4sim.bus.ErrnoException} the core expects.
 */
final class BusBdevPort implements BdevPort {
    private final CallClient client;
    private final DevNames names;
    private final Duration timeout;

    BusBdevPort(CallClient client, DevNames names, Duration timeout) {
        this.client = Objects.requireNonNull(client);
        this.names = Objects.requireNonNull(names);
        this.timeout = Objects.requireNonNull(timeout);
    }

    @Override
    public Ext4Port.Written writepages(int dev, WritebackControl wbc, TraceContext ctx) {
        Jbd2Calls.BdevWritepages q = new Jbd2Calls.BdevWritepages(names.name(dev), wbc.syncMode(), wbc.nrToWrite(),
                wbc.forKupdate(), wbc.forBackground(), wbc.rangeCyclic(), wbc.rangeStart(), wbc.rangeEnd());
        Jbd2Calls.BdevWritten r = client.invoke(Jbd2Calls.SERVICE, Jbd2Calls.BDEV_WRITEPAGES, q, timeout, ctx);
        return new Ext4Port.Written(r.pagesWritten(), r.stillDirty(), r.writebackIndex());
    }
}
