package dev.ext4sim.vfs;

import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.ext4.AioCalls;
import dev.ext4sim.bus.ext4.Ext4Calls;
import dev.ext4sim.bus.ext4.Ext4Calls.Attr;
import dev.ext4sim.bus.ext4.Ext4Calls.WriteResult;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.vfs.fs.InodeOps;
import java.time.Duration;

/** ext4's inode and file operations over the bus; each call gets what is left of the system call's deadline. */
final class Ext4Client implements InodeOps {
    /** The time the current system call has left for its downstream calls, bound per request by the handler. */
    static final ScopedValue<Duration> DEADLINE = ScopedValue.newInstance();

    private final CallClient client;
    private final String dev;
    private final Duration fallback;

    Ext4Client(CallClient client, String dev, Duration fallback) {
        this.client = client;
        this.dev = dev;
        this.fallback = fallback;
    }

    private <Q, R> R call(CallType<Q, R> type, Q request, TraceContext ctx) {
        Duration timeout = DEADLINE.isBound() ? DEADLINE.get() : fallback;
        return client.invoke(Ext4Calls.SERVICE, type, request, timeout, ctx);
    }

    @Override
    public String dev() {
        return dev;
    }

    @Override
    public Attr lookup(long dir, String name, TraceContext ctx) {
        return call(Ext4Calls.LOOKUP, new Ext4Calls.Lookup(dev, dir, name), ctx);
    }

    @Override
    public Attr create(long dir, String name, int mode, boolean excl, TraceContext ctx) {
        return call(Ext4Calls.CREATE, new Ext4Calls.Create(dev, dir, name, mode, excl), ctx);
    }

    @Override
    public Attr mkdir(long dir, String name, int mode, TraceContext ctx) {
        return call(Ext4Calls.MKDIR, new Ext4Calls.Create(dev, dir, name, mode, true), ctx);
    }

    @Override
    public void unlink(long dir, String name, TraceContext ctx) {
        call(Ext4Calls.UNLINK, new Ext4Calls.Lookup(dev, dir, name), ctx);
    }

    @Override
    public Attr getattr(long ino, TraceContext ctx) {
        return call(Ext4Calls.GETATTR, new Ext4Calls.InodeRef(dev, ino), ctx);
    }

    @Override
    public Attr truncate(long ino, long mount, long size, TraceContext ctx) {
        return call(Ext4Calls.TRUNCATE, new Ext4Calls.Truncate(dev, ino, size, mount), ctx);
    }

    @Override
    public byte[] readIter(long ino, long mount, long pos, long length, TraceContext ctx) {
        return call(Ext4Calls.READ_ITER, new Ext4Calls.ReadIter(dev, ino, pos, length, mount), ctx);
    }

    @Override
    public WriteResult writeIter(long ino, long mount, long pos, boolean append, boolean sync, boolean dsync, byte[] data,
                                 TraceContext ctx) {
        return writeIter(ino, mount, pos, append, sync, dsync, false, data, ctx);
    }

    @Override
    public WriteResult writeIter(long ino, long mount, long pos, boolean append, boolean sync, boolean dsync, boolean direct,
                                 byte[] data, TraceContext ctx) {
        return call(Ext4Calls.WRITE_ITER, new Ext4Calls.WriteIter(dev, ino, pos, append, sync, dsync, data, mount, direct), ctx);
    }

    @Override
    public WriteResult aioWrite(long ino, long mount, long pos, boolean append, boolean sync, boolean dsync,
                                boolean direct, long id, byte[] data, TraceContext ctx) {
        AioCalls.Submitted s = call(AioCalls.AIO_WRITE,
                new AioCalls.AioWrite(dev, ino, mount, pos, append, sync, dsync, direct, id, data), ctx);
        return new WriteResult(s.ret(), s.pos(), -1);
    }

    @Override
    public void fsync(long ino, long mount, boolean datasync, TraceContext ctx) {
        call(Ext4Calls.FSYNC, new Ext4Calls.Fsync(dev, ino, datasync, mount), ctx);
    }

    @Override
    public void open(long ino, long mount, boolean write, TraceContext ctx) {
        call(Ext4Calls.OPEN, new Ext4Calls.OpenFile(dev, ino, mount, write), ctx);
    }

    @Override
    public void release(long ino, long mount, boolean write, TraceContext ctx) {
        call(Ext4Calls.RELEASE, new Ext4Calls.OpenFile(dev, ino, mount, write), ctx);
    }

    @Override
    public void syncFs(boolean wait, TraceContext ctx) {
        call(Ext4Calls.SYNC_FS, new Ext4Calls.SyncFs(dev, wait), ctx);
    }
}
