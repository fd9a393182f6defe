package dev.ext4sim.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.call.Topics;
import dev.ext4sim.bus.testing.InMemoryTransport;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.vfs.VfsCalls;
import dev.ext4sim.vfs.fs.FdTable;
import dev.ext4sim.vfs.fs.MemoryInodeOps;
import dev.ext4sim.vfs.fs.Processes;
import dev.ext4sim.vfs.fs.Vfs;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** vfs-service's call handlers, on an in-memory bus: every system call and its errno travel as the gateway sees them. */
class VfsCallsTest {
    final ManualClock clock = new ManualClock();
    final InMemoryTransport transport = new InMemoryTransport();
    final MemoryInodeOps fs = new MemoryInodeOps();
    final CallClient gateway = new CallClient(Topics.replies("gateway"), transport, clock, clock, s -> Optional.of(true), Runnable::run);
    final TraceContext demo = TraceContext.of(new Task("demo", 1234));
    final Duration timeout = Duration.ofSeconds(5);

    VfsCallsTest() {
        Vfs vfs = new Vfs(fs, (dev, ctx) -> { }, new Processes(Instant.EPOCH, FdTable.NR_OPEN_DEFAULT));
        CallServer server = new CallServer(VfsCalls.SERVICE, transport, clock, Runnable::run);
        new VfsConfiguration().vfsCalls(vfs).register(server);
        transport.routeCalls(VfsCalls.SERVICE, server).routeReplies("gateway", gateway);
    }

    private <Q, R> R call(dev.ext4sim.bus.call.CallType<Q, R> type, Q q) {
        return gateway.invoke(VfsCalls.SERVICE, type, q, timeout, demo);
    }

    @Test
    void theSeedProgramOverTheBus() {
        int fd = call(VfsCalls.OPEN, new VfsCalls.Open("/hello", List.of("O_CREAT", "O_RDWR"), 0644)).fd();
        assertThat(call(VfsCalls.WRITE, new VfsCalls.Write(fd, -1, "hello world\n".getBytes())).written()).isEqualTo(12);
        assertThat(call(VfsCalls.FD, new VfsCalls.FdCall(fd, VfsCalls.FSYNC)).ret()).isZero();
        assertThat(call(VfsCalls.READ, new VfsCalls.Read(fd, 0, 100))).isEqualTo("hello world\n".getBytes());
        assertThat(call(VfsCalls.STAT, new VfsCalls.StatPath("/hello")).size()).isEqualTo(12);
        assertThat(call(VfsCalls.FTRUNCATE, new VfsCalls.Ftruncate(fd, 5)).ret()).isZero();
        assertThat(call(VfsCalls.READ, new VfsCalls.Read(fd, 0, 100))).isEqualTo("hello".getBytes());
        assertThat(call(VfsCalls.FD, new VfsCalls.FdCall(fd, VfsCalls.CLOSE)).ret()).isZero();
        assertThat(call(VfsCalls.SYNC, new VfsCalls.Sync()).ret()).isZero();
    }

    @Test
    void errnosCrossTheBusWithTheirDetail() {
        assertThatThrownBy(() -> call(VfsCalls.FD, new VfsCalls.FdCall(9, VfsCalls.FSYNC)))
                .isInstanceOfSatisfying(ErrnoException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EBADF);
                    assertThat(e.detail()).contains("fd 9 is not open");
                });
        assertThatThrownBy(() -> call(VfsCalls.FD, new VfsCalls.FdCall(3, "flush")))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThatThrownBy(() -> call(VfsCalls.OPEN, new VfsCalls.Open("/nope", List.of("O_RDONLY"), -1)))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    }
}
