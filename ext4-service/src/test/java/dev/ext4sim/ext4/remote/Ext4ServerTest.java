package dev.ext4sim.ext4.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.call.Topics;
import dev.ext4sim.bus.ext4.AioCalls;
import dev.ext4sim.bus.ext4.Ext4Calls;
import dev.ext4sim.bus.ext4.OrderedDataCall;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.testing.InMemoryTransport;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ext4.fs.Ext4Mount;
import dev.ext4sim.ext4.port.BlockPort;
import dev.ext4sim.ext4.port.DataBio;
import dev.ext4sim.ext4.port.WritebackPort;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import dev.ext4sim.ondisk.ext4.Mkfs;
import dev.ext4sim.ondisk.ext4.MkfsOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Ext4Calls as vfs sends them, served over a mounted core whose journal is the pump to a fake jbd2. */
class Ext4ServerTest {
    static final TraceContext DEMO = new TraceContext("00000000000000cc", new Task("demo", 1234));
    static final Duration T = Duration.ofSeconds(30);

    /** The device in memory; data bios and reads go straight to it. */
    static final class MemoryBlockPort implements BlockPort {
        final MemoryBlockDevice dev;

        MemoryBlockPort(MemoryBlockDevice dev) {
            this.dev = dev;
        }

        @Override
        public synchronized byte[] read(TraceContext ctx, long block, int count) {
            byte[] out = new byte[count * BLOCK_SIZE];
            byte[] b = new byte[BLOCK_SIZE];
            for (int i = 0; i < count; i++) {
                dev.read(block + i, b);
                System.arraycopy(b, 0, out, i * BLOCK_SIZE, BLOCK_SIZE);
            }
            return out;
        }

        @Override
        public synchronized void submit(TraceContext ctx, List<DataBio> bios) {
            for (DataBio bio : bios) {
                for (int i = 0; i < bio.blocks(); i++) {
                    dev.write(bio.block() + i, Arrays.copyOfRange(bio.data(), i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
                }
            }
        }

        @Override
        public void flush(TraceContext ctx) {
        }
    }

    ManualClock clock = new ManualClock();
    java.util.concurrent.ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    FakeJbd2 jbd2 = new FakeJbd2();
    AtomicReference<Ext4Mount> mounted = new AtomicReference<>();
    CallClient vfs;
    JournalPump pump;
    MemoryBlockDevice dev;

    @BeforeEach
    void setUp() {
        InMemoryTransport transport = new InMemoryTransport();
        CallServer jbd2Server = new CallServer(Jbd2Calls.SERVICE, transport, clock, handlers);
        jbd2.register(jbd2Server);
        CallClient ext4Client = new CallClient(Topics.replies("ext4-service"), transport, clock, clock,
                s -> Optional.of(true), Runnable::run);
        vfs = new CallClient(Topics.replies("vfs-service"), transport, clock, clock, s -> Optional.of(true), Runnable::run);
        pump = new JournalPump(ext4Client, new JournalPump.Settings("sda1", "m", T, Duration.ofMillis(10), 64), clock::nanoTime);
        CallServer ext4Server = new CallServer(Ext4Calls.SERVICE, transport, clock, handlers);
        new Ext4Server("sda1", mounted::get, pump, new Ext4Metrics(new SimpleMeterRegistry(), "sda1", mounted::get, () -> pump))
                .register(ext4Server);
        transport.routeCalls(Jbd2Calls.SERVICE, jbd2Server).routeCalls(Ext4Calls.SERVICE, ext4Server)
                .routeReplies("ext4-service", ext4Client).routeReplies("vfs-service", vfs);
        dev = new MemoryBlockDevice(4096, (64 << 20) / 4096);
        Mkfs.format(dev, MkfsOptions.defaults().withSize(64L << 20));
    }

    @AfterEach
    void tearDown() {
        pump.close();
        handlers.shutdownNow();
    }

    void mount() {
        Tracer tracer = new Tracer("ext4-service", clock.traceClock(), new RecordingTraceSink(), 2);
        Ext4Mount m = Ext4Mount.mount(DEMO, new MemoryBlockPort(dev), pump, WritebackPort.NONE, tracer, clock);
        pump.onCommit(m::journalCommitCallback);
        mounted.set(m);
    }

    <Q, R> R call(CallType<Q, R> type, Q q) {
        return vfs.call(Ext4Calls.SERVICE, type, q, T, DEMO).join();
    }

    static void errno(Errno errno, Runnable r) {
        assertThatThrownBy(r::run).hasCauseInstanceOf(ErrnoException.class)
                .satisfies(e -> assertThat(((ErrnoException) e.getCause()).errno()).isEqualTo(errno));
    }

    @Test
    void beforeTheMountCallsAreEagainButOrderedDataOfADeadMountIsAnsweredAtOnce() {
        errno(Errno.EAGAIN, () -> call(Ext4Calls.GETATTR, new Ext4Calls.InodeRef("sda1", 2)));
        assertThat(call(OrderedDataCall.CALL, new OrderedDataCall.Request("sda1", 5,
                List.of(new OrderedDataCall.InodeRange(12, 0, 4095)))).ok()).isTrue();
    }

    @Test
    void theSeedProgramThroughTheCalls() {
        mount();
        Ext4Calls.Attr a = call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "hello", 0100644, false));
        assertThat(a.ino()).isEqualTo(12);
        assertThat(a.mode()).isEqualTo(0100644);
        assertThat(call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "hello", 0644, false)).ino())
                .as("not O_EXCL: the existing file").isEqualTo(12);
        errno(Errno.EEXIST, () -> call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "hello", 0644, true)));
        assertThat(call(Ext4Calls.OPEN, new Ext4Calls.OpenFile("sda1", 12, 0, true)).ret()).isZero();

        Ext4Calls.WriteResult w = call(Ext4Calls.WRITE_ITER, new Ext4Calls.WriteIter("sda1", 12, 0, false, false, false,
                "hello world\n".getBytes(StandardCharsets.US_ASCII)));
        assertThat(w).isEqualTo(new Ext4Calls.WriteResult(12, 12, 12));
        assertThat(call(Ext4Calls.DIRTY_INODES, new Ext4Calls.DirtyInodesQuery("sda1")).inodes())
                .extracting(Ext4Calls.DirtyInode::ino).contains(12L);
        assertThat(call(Ext4Calls.FSYNC, new Ext4Calls.Fsync("sda1", 12, false)).ret()).isZero();
        assertThat(!jbd2.completed.isEmpty() || jbd2.batches.stream().anyMatch(FakeJbd2.Batch::startCommit))
                .as("the fsync asked for its commit: with its handle's batch, or by a wait").isTrue();
        assertThat(call(Ext4Calls.READ_ITER, new Ext4Calls.ReadIter("sda1", 12, 0, 100)))
                .asString(StandardCharsets.US_ASCII).isEqualTo("hello world\n");
        assertThat(call(Ext4Calls.LOOKUP, new Ext4Calls.Lookup("sda1", 2, "hello")).size()).isEqualTo(12);
        assertThat(call(Ext4Calls.RELEASE, new Ext4Calls.OpenFile("sda1", 12, 0, true)).ret()).isZero();
        errno(Errno.EBADF, () -> call(Ext4Calls.RELEASE, new Ext4Calls.OpenFile("sda1", 12, 0, true)));
        assertThat(call(Ext4Calls.WRITEPAGES, new Ext4Calls.Writepages("sda1", 12, 0, 1024, 0, Long.MAX_VALUE, true,
                true, false, false, "periodic")).stillDirty()).isFalse();
        assertThat(call(Ext4Calls.SYNC_FS, new Ext4Calls.SyncFs("sda1", true)).ret()).isZero();
    }

    @Test
    void aFileOpenedOnAnotherMountIsRefusedWithEioAndNothingIsWritten() {
        mount();
        Ext4Calls.Attr a = call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "f", 0644, false));
        assertThat(a.mount()).as("the answer names this mount").isNotZero();
        long m = a.mount();
        assertThat(call(Ext4Calls.WRITE_ITER, new Ext4Calls.WriteIter("sda1", a.ino(), 0, false, false, false,
                new byte[]{1, 2, 3}, m)).written()).isEqualTo(3);
        assertThat(call(Ext4Calls.FSYNC, new Ext4Calls.Fsync("sda1", a.ino(), false, m)).ret()).isZero();
        long earlier = m + 1;
        errno(Errno.EIO, () -> call(Ext4Calls.WRITE_ITER, new Ext4Calls.WriteIter("sda1", a.ino(), 3, false, false, false,
                new byte[]{4}, earlier)));
        errno(Errno.EIO, () -> call(Ext4Calls.FSYNC, new Ext4Calls.Fsync("sda1", a.ino(), false, earlier)));
        errno(Errno.EIO, () -> call(Ext4Calls.READ_ITER, new Ext4Calls.ReadIter("sda1", a.ino(), 0, 10, earlier)));
        errno(Errno.EIO, () -> call(Ext4Calls.TRUNCATE, new Ext4Calls.Truncate("sda1", a.ino(), 0, earlier)));
        errno(Errno.EIO, () -> call(Ext4Calls.OPEN, new Ext4Calls.OpenFile("sda1", a.ino(), earlier, true)));
        errno(Errno.EIO, () -> call(Ext4Calls.RELEASE, new Ext4Calls.OpenFile("sda1", a.ino(), earlier, true)));
        assertThat(call(Ext4Calls.READ_ITER, new Ext4Calls.ReadIter("sda1", a.ino(), 0, 10, m))).containsExactly(1, 2, 3);
    }

    @Test
    void badInputIsAnErrnoAndChangesNothing() {
        mount();
        errno(Errno.ENODEV, () -> call(Ext4Calls.GETATTR, new Ext4Calls.InodeRef("sdb1", 2)));
        errno(Errno.EINVAL, () -> call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "a/b", 0644, false)));
        errno(Errno.ENAMETOOLONG, () -> call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "x".repeat(256), 0644, false)));
        errno(Errno.EINVAL, () -> call(Ext4Calls.GETATTR, new Ext4Calls.InodeRef("sda1", 0)));
        errno(Errno.EINVAL, () -> call(Ext4Calls.WRITE_ITER, new Ext4Calls.WriteIter("sda1", 2, -1, false, false, false,
                new byte[1])));
        errno(Errno.EINVAL, () -> call(Ext4Calls.TRUNCATE, new Ext4Calls.Truncate("sda1", 2, -5)));
        errno(Errno.ENOENT, () -> call(Ext4Calls.LOOKUP, new Ext4Calls.Lookup("sda1", 2, "nothing")));
        assertThat(call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "first", 0644, false)).ino())
                .as("nothing was allocated by the refused calls").isEqualTo(12);
    }

    @Test
    void anAioWriteIsQueuedOverTheBusAndCompletesThroughKiComplete() {
        mount();
        List<Ext4Mount.AioCompletion> completions = new java.util.concurrent.CopyOnWriteArrayList<>();
        mounted.get().kiComplete(completions::add);
        Ext4Calls.Attr a = call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "f", 0644, false));
        call(Ext4Calls.OPEN, new Ext4Calls.OpenFile("sda1", a.ino(), a.mount(), true));
        call(Ext4Calls.TRUNCATE, new Ext4Calls.Truncate("sda1", a.ino(), 16384, a.mount()));
        byte[] data = new byte[4096];
        Arrays.fill(data, (byte) 7);

        AioCalls.Submitted s = call(AioCalls.AIO_WRITE, new AioCalls.AioWrite("sda1", a.ino(), a.mount(), 4096, false,
                false, false, true, 9, data));

        assertThat(s).isEqualTo(new AioCalls.Submitted(AioCalls.EIOCBQUEUED, 8192));
        assertThat(completions).isEmpty();
        assertThat(call(Ext4Calls.READ_ITER, new Ext4Calls.ReadIter("sda1", a.ino(), 4096, 4096, a.mount())))
                .isEqualTo(new byte[4096]);
        assertThat(mounted.get().runDioWork()).isEqualTo(1);
        assertThat(completions).containsExactly(new Ext4Mount.AioCompletion(9, DEMO.task(), 4096, DEMO.traceId()));
        assertThat(call(Ext4Calls.READ_ITER, new Ext4Calls.ReadIter("sda1", a.ino(), 4096, 4096, a.mount()))).isEqualTo(data);
        // past i_size: synchronous, its bytes answered at once; a buffered iocb likewise
        assertThat(call(AioCalls.AIO_WRITE, new AioCalls.AioWrite("sda1", a.ino(), a.mount(), 16384, false, false, false,
                true, 10, data))).isEqualTo(new AioCalls.Submitted(4096, 20480));
        assertThat(call(AioCalls.AIO_WRITE, new AioCalls.AioWrite("sda1", a.ino(), a.mount(), 1, false, false, false,
                false, 11, new byte[]{1}))).isEqualTo(new AioCalls.Submitted(1, 2));
        errno(Errno.EINVAL, () -> call(AioCalls.AIO_WRITE, new AioCalls.AioWrite("sda1", a.ino(), a.mount(), 512, false,
                false, false, true, 12, data)));
        assertThat(mounted.get().runDioWork()).isZero();
        assertThat(completions).hasSize(1);
    }
}
