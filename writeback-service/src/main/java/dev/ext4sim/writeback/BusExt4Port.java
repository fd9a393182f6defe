package dev.ext4sim.writeback;

import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.ext4.Ext4Calls;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.writeback.wb.Ext4Port;
import dev.ext4sim.writeback.wb.WritebackControl;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The flusher's calls into ext4-service: do_writepages as ext4_writepages in the kworker's task and trace id, and
 * the dirty inodes for a rebuild. An errno (ETIMEDOUT when ext4 does not answer in time, EIO when it is down) comes
 * back as the {@link dev.ext4sim.bus.ErrnoException} the core expects: the inode stays dirty for a later pass.
 */
final class BusExt4Port implements Ext4Port {
    /** Who asks for the dirty inodes: writeback itself, not a kernel task that traces. */
    static final Task REBUILD = new Task("wb-rebuild", 0);

    private final CallClient client;
    private final DevNames names;
    private final Duration writepagesTimeout;
    private final Duration dirtyInodesTimeout;

    BusExt4Port(CallClient client, DevNames names, Duration writepagesTimeout, Duration dirtyInodesTimeout) {
        this.client = Objects.requireNonNull(client);
        this.names = Objects.requireNonNull(names);
        this.writepagesTimeout = Objects.requireNonNull(writepagesTimeout);
        this.dirtyInodesTimeout = Objects.requireNonNull(dirtyInodesTimeout);
    }

    @Override
    public Written writepages(int dev, long ino, WritebackControl wbc, TraceContext ctx) {
        Ext4Calls.Writepages q = new Ext4Calls.Writepages(names.name(dev), ino, wbc.syncMode(), wbc.nrToWrite(),
                wbc.rangeStart(), wbc.rangeEnd(), wbc.rangeCyclic(), wbc.forKupdate(), wbc.forBackground(),
                wbc.forSync(), wbc.reason() == null ? null : wbc.reason().symbol(), true); // inside wb_writeback's plug
        Ext4Calls.WritepagesResult r = client.invoke(Ext4Calls.SERVICE, Ext4Calls.WRITEPAGES, q, writepagesTimeout,
                ctx);
        return new Written(r.pagesWritten(), r.stillDirty(), r.writebackIndex(), r.inodeDirty());
    }

    @Override
    public void finishPlug(int dev, TraceContext ctx) {
        client.invoke(Ext4Calls.SERVICE, Ext4Calls.FINISH_PLUG, new Ext4Calls.FinishPlug(names.name(dev)),
                writepagesTimeout, ctx);
    }

    @Override
    public List<DirtyInode> dirtyInodes(int dev) {
        return dirtyInodes(dev, dirtyInodesTimeout);
    }

    /** ext4_dirty_inodes with a deadline of the caller's (a sync that must answer its own caller in time). */
    List<DirtyInode> dirtyInodes(int dev, Duration timeout) {
        Ext4Calls.DirtyInodes r = client.invoke(Ext4Calls.SERVICE, Ext4Calls.DIRTY_INODES,
                new Ext4Calls.DirtyInodesQuery(names.name(dev)), timeout, TraceContext.of(REBUILD));
        return r.inodes().stream().map(i -> new DirtyInode(i.ino(), i.state(), i.dirtiedWhen(), i.nrDirty())).toList();
    }
}
