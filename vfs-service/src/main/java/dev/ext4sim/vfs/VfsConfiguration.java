package dev.ext4sim.vfs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallContext;
import dev.ext4sim.bus.ext4.AioCalls;
import dev.ext4sim.bus.spring.CallRegistration;
import dev.ext4sim.bus.spring.EventSubscription;
import dev.ext4sim.bus.vfs.VfsAioCalls;
import dev.ext4sim.bus.vfs.VfsCalls;
import dev.ext4sim.bus.writeback.WritebackCalls;
import dev.ext4sim.vfs.fs.Aio;
import dev.ext4sim.vfs.fs.FdTable;
import dev.ext4sim.vfs.fs.Flusher;
import dev.ext4sim.vfs.fs.Processes;
import dev.ext4sim.vfs.fs.Vfs;
import java.time.Duration;
import java.time.Instant;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the system calls ({@link Vfs}) to ext4 and writeback over the bus and serves {@link VfsCalls}. */
@Configuration(proxyBeanMethods = false)
class VfsConfiguration {

    @Bean
    Vfs vfs(CallClient client, @Value("${ext4sim.vfs.dev:sda1}") String dev,
            @Value("${ext4sim.call-timeout:5s}") Duration timeout) {
        Flusher flusher = (d, ctx) -> client.invoke(WritebackCalls.SERVICE, WritebackCalls.SYNC_INODES,
                new WritebackCalls.SyncInodes(d), Ext4Client.DEADLINE.isBound() ? Ext4Client.DEADLINE.get() : timeout, ctx);
        return new Vfs(new Ext4Client(client, dev, timeout), flusher, new Processes(Instant.now(), FdTable.NR_OPEN_DEFAULT));
    }

    /** fs/aio.c's io contexts, over the same ext4 client and fd tables as the system calls of {@link Vfs}. */
    @Bean
    Aio aio(Vfs vfs, @Value("${ext4sim.aio.max-wait:20s}") Duration maxWait) {
        return new Aio(vfs.inodeOps(), vfs.processes(), maxWait);
    }

    @Bean
    CallRegistration aioCalls(Aio aio) {
        return server -> server
                .register(VfsAioCalls.IO_SUBMIT, (q, ctx) -> within(ctx,
                        () -> new VfsAioCalls.Submitted(aio.submit(q.fd(), q.offset(), q.data(), ctx.trace()))))
                .register(VfsAioCalls.IO_GETEVENTS, (q, ctx) -> new VfsAioCalls.Events(
                        aio.getEvents(q.minNr(), q.nr(), Duration.ofMillis(q.timeoutMs()), ctx.trace())));
    }

    /** ext4's ki_complete of the iocbs it queued: into the submitter's io context. */
    @Bean
    EventSubscription aioCompletions(Aio aio) {
        return events -> events.subscribe(AioCalls.AIO_COMPLETE, (c, ctx) -> aio.complete(c.pid(), c.id(), c.res()));
    }

    @Bean
    CallRegistration vfsCalls(Vfs vfs) {
        return server -> server
                .register(VfsCalls.OPEN, (q, ctx) -> within(ctx, () -> new VfsCalls.Opened(vfs.open(q.path(), q.flags(), q.mode(), ctx.trace()))))
                .register(VfsCalls.WRITE, (q, ctx) -> within(ctx, () -> new VfsCalls.Written(vfs.write(q.fd(), q.offset(), q.data(), ctx.trace()))))
                .register(VfsCalls.READ, (q, ctx) -> within(ctx, () -> vfs.read(q.fd(), q.offset(), q.length(), ctx.trace())))
                .register(VfsCalls.FD, (q, ctx) -> within(ctx, () -> new VfsCalls.Ret(switch (q.op()) {
                    case VfsCalls.FSYNC -> vfs.fsync(q.fd(), false, ctx.trace());
                    case VfsCalls.FDATASYNC -> vfs.fsync(q.fd(), true, ctx.trace());
                    case VfsCalls.CLOSE -> vfs.close(q.fd(), ctx.trace());
                    default -> throw new ErrnoException(Errno.EINVAL,
                            "unknown fd operation '" + q.op() + "'; one of fsync, fdatasync, close");
                })))
                .register(VfsCalls.FTRUNCATE, (q, ctx) -> within(ctx, () -> new VfsCalls.Ret(vfs.ftruncate(q.fd(), q.length(), ctx.trace()))))
                .register(VfsCalls.SYNC, (q, ctx) -> within(ctx, () -> new VfsCalls.Ret(vfs.sync(ctx.trace()))))
                .register(VfsCalls.STAT, (q, ctx) -> within(ctx, () -> vfs.stat(q.path(), ctx.trace())))
                .register(VfsCalls.MKDIR, (q, ctx) -> within(ctx, () -> new VfsCalls.Ret(vfs.mkdir(q.path(), q.mode(), ctx.trace()))))
                .register(VfsCalls.UNLINK, (q, ctx) -> within(ctx, () -> new VfsCalls.Ret(vfs.unlink(q.path(), ctx.trace()))));
    }

    /** Runs a system call with its downstream calls bounded by what is left of the caller's deadline. */
    private static <T> T within(CallContext ctx, ScopedValue.CallableOp<T, RuntimeException> call) {
        return ScopedValue.where(Ext4Client.DEADLINE, ctx.downstreamTimeout()).call(call);
    }
}
