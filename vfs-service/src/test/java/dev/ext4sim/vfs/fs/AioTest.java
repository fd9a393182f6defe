package dev.ext4sim.vfs.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.ext4.AioCalls;
import dev.ext4sim.bus.ext4.Ext4Calls.WriteResult;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.vfs.VfsAioCalls;
import dev.ext4sim.bus.vfs.VfsAioCalls.Event;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * io_submit and io_getevents over one io context per process: a buffered iocb completes in io_submit, a queued
 * O_DIRECT one when the filesystem's aio_complete arrives; io_getevents waits for min_nr up to its timeout.
 */
class AioTest {
    final MemoryInodeOps fs = new MemoryInodeOps();
    /** The aio_write calls: {ino, pos, id, direct}. */
    final List<long[]> aioWrites = new ArrayList<>();
    final InodeOps ops = (InodeOps) Proxy.newProxyInstance(InodeOps.class.getClassLoader(), new Class<?>[]{InodeOps.class},
            (proxy, method, args) -> {
                if (method.getName().equals("aioWrite")) {
                    boolean direct = (Boolean) args[6];
                    byte[] data = (byte[]) args[8];
                    aioWrites.add(new long[]{(Long) args[0], (Long) args[2], (Long) args[7], direct ? 1 : 0});
                    if (direct && (Long) args[2] % 4096 != 0) {
                        throw new ErrnoException(Errno.EINVAL, "misaligned O_DIRECT write");
                    }
                    WriteResult r = fs.writeIter((Long) args[0], (Long) args[1], (Long) args[2], (Boolean) args[3],
                            (Boolean) args[4], (Boolean) args[5], data, (TraceContext) args[9]);
                    // the filesystem queues an O_DIRECT write's completion (-EIOCBQUEUED), finishes a buffered one
                    return direct ? new WriteResult(AioCalls.EIOCBQUEUED, r.pos(), r.size()) : r;
                }
                try {
                    return method.invoke(fs, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });
    final Processes processes = new Processes(Instant.parse("2026-11-21T00:00:00Z"), 16);
    final Vfs vfs = new Vfs(ops, (dev, ctx) -> { }, processes);
    final Aio aio = new Aio(ops, processes, Duration.ofSeconds(20));
    final TraceContext demo = TraceContext.of(new Task("demo", 1234));
    final TraceContext other = TraceContext.of(new Task("other", 77));

    @Test
    void aBufferedIocbCompletesInIoSubmit() {
        int fd = vfs.open("/b", List.of("O_CREAT", "O_RDWR"), 0644, demo);

        long id = aio.submit(fd, 0, "hello".getBytes(), demo);

        assertThat(aio.getEvents(1, 8, Duration.ZERO, demo)).containsExactly(new Event(id, fd, 5));
        assertThat(fs.files.get(12L)).isEqualTo("hello".getBytes());
        assertThat(aio.getEvents(0, 8, Duration.ZERO, demo)).isEmpty();
    }

    @Test
    void aQueuedDirectIocbIsReapableOnlyOnceTheFilesystemCompletesIt() {
        int fd = vfs.open("/d", List.of("O_CREAT", "O_RDWR", "O_DIRECT"), 0644, demo);

        long first = aio.submit(fd, 0, new byte[4096], demo);
        long second = aio.submit(fd, 4096, new byte[8192], demo);

        assertThat(second).isEqualTo(first + 1);
        assertThat(aioWrites).extracting(w -> w[2]).containsExactly(first, second);
        assertThat(aio.getEvents(0, 8, Duration.ZERO, demo)).isEmpty();
        aio.complete(1234, second, 8192);
        aio.complete(77, first, 4096);            // another process's context: not this one's
        assertThat(aio.getEvents(1, 8, Duration.ZERO, demo)).containsExactly(new Event(second, fd, 8192));
        aio.complete(1234, first, -5);
        assertThat(aio.getEvents(1, 1, Duration.ZERO, demo)).containsExactly(new Event(first, fd, -5));
        aio.complete(1234, first, 4096);           // completed already: dropped
        assertThat(aio.getEvents(0, 8, Duration.ZERO, demo)).isEmpty();
    }

    @Test
    void geteventsWaitsForMinNrAndReturnsWhenTheCompletionArrives() throws Exception {
        int fd = vfs.open("/d", List.of("O_CREAT", "O_RDWR", "O_DIRECT"), 0644, demo);
        long id = aio.submit(fd, 0, new byte[4096], demo);
        Thread[] waiter = new Thread[1];
        CompletableFuture<List<Event>> reaped = new CompletableFuture<>();
        waiter[0] = Thread.ofVirtual().start(() -> reaped.complete(aio.getEvents(1, 8, Duration.ofSeconds(20), demo)));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (waiter[0].getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(waiter[0].getState()).isEqualTo(Thread.State.TIMED_WAITING);
        assertThat(reaped).isNotDone();

        aio.complete(1234, id, 4096);

        assertThat(reaped.get(10, java.util.concurrent.TimeUnit.SECONDS)).containsExactly(new Event(id, fd, 4096));
    }

    @Test
    void geteventsReturnsFewerThanMinNrWhenTheTimeoutRunsOut() {
        int fd = vfs.open("/d", List.of("O_CREAT", "O_RDWR", "O_DIRECT"), 0644, demo);
        aio.submit(fd, 0, new byte[4096], demo);
        long start = System.nanoTime();
        assertThat(aio.getEvents(1, 8, Duration.ofMillis(50), demo)).isEmpty();
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(50_000_000L);
    }

    @Test
    void badSubmissionsAreErrnosAndLeaveNoEvent() {
        int rdonly = vfs.open("/r", List.of("O_CREAT", "O_RDONLY"), 0644, demo);
        int direct = vfs.open("/d", List.of("O_CREAT", "O_RDWR", "O_DIRECT"), 0644, demo);
        assertErrno(() -> aio.submit(99, 0, new byte[1], demo), Errno.EBADF);
        assertErrno(() -> aio.submit(3, 0, new byte[1], other), Errno.EBADF);    // a process with no fd table
        assertErrno(() -> aio.submit(rdonly, 0, new byte[1], demo), Errno.EBADF);
        assertErrno(() -> aio.submit(direct, -4096, new byte[4096], demo), Errno.EINVAL);
        assertErrno(() -> aio.submit(direct, 512, new byte[4096], demo), Errno.EINVAL); // refused by the filesystem
        assertThat(aio.getEvents(0, 8, Duration.ZERO, demo)).isEmpty();
    }

    @Test
    void badGeteventsAreEinval() {
        assertErrno(() -> aio.getEvents(1, 8, Duration.ZERO, demo), Errno.EINVAL);  // no io context yet
        int fd = vfs.open("/b", List.of("O_CREAT", "O_RDWR"), 0644, demo);
        aio.submit(fd, 0, new byte[1], demo);
        assertErrno(() -> aio.getEvents(2, 1, Duration.ZERO, demo), Errno.EINVAL);
        assertErrno(() -> aio.getEvents(-1, 1, Duration.ZERO, demo), Errno.EINVAL);
        assertErrno(() -> aio.getEvents(1, 1, Duration.ofMillis(-1), demo), Errno.EINVAL);
        assertErrno(() -> aio.getEvents(1, 1, Duration.ofSeconds(21), demo), Errno.EINVAL);
        assertThat(aio.getEvents(1, 1, Duration.ZERO, demo)).hasSize(1);
    }

    @Test
    void aFullContextIsEagainUntilEventsAreReaped() {
        AioContext ctx = new AioContext(2);
        long a = ctx.reserve(3);
        long b = ctx.reserve(3);
        assertErrno(() -> ctx.reserve(3), Errno.EAGAIN);
        ctx.complete(a, 1);
        assertErrno(() -> ctx.reserve(3), Errno.EAGAIN);   // its event still holds the slot
        ctx.cancel(b);
        long c = ctx.reserve(3);
        assertThat(c).isEqualTo(3);
        assertThat(ctx.inFlight()).isEqualTo(1);
    }

    @Test
    void theBusRequestsRoundTrip() {
        AioCalls.AioWrite q = new AioCalls.AioWrite("sda1", 12, 7, 4096, false, false, true, true, 42, new byte[4096]);
        assertThat(AioCalls.AIO_WRITE.requestCodec().decode(AioCalls.AIO_WRITE.requestCodec().encode(q))).isEqualTo(q);
        VfsAioCalls.IoSubmit s = new VfsAioCalls.IoSubmit(3, 8192, "abc".getBytes());
        assertThat(VfsAioCalls.IO_SUBMIT.requestCodec().decode(VfsAioCalls.IO_SUBMIT.requestCodec().encode(s))).isEqualTo(s);
        AioCalls.Completed c = new AioCalls.Completed(1234, 42, -5);
        assertThat(AioCalls.AIO_COMPLETE.codec().decode(AioCalls.AIO_COMPLETE.codec().encode(c))).isEqualTo(c);
    }

    private static void assertErrno(Runnable call, Errno errno) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }
}
