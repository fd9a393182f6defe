package dev.ext4sim.bus.call;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.testing.InMemoryTransport;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A client and servers of three services wired through one {@link InMemoryTransport}, as Kafka would. */
class ClientServerEndToEndTest {
    record Write(long ino, long pos, int len) {
    }

    record Written(long ino, int copied) {
    }

    static final CallType<Write, Written> WRITE = CallType.json("ext4_write", 1, Write.class, Written.class);
    static final CallType<byte[], byte[]> SUBMIT = new CallType<>("submit_bio", 1, Codecs.bytes(), Codecs.bytes());
    static final TraceContext TRACE = new TraceContext("0123456789abcdef", new Task("demo", 1234));
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    ManualClock clock;
    InMemoryTransport transport;
    CallClient vfsClient;
    CallClient ext4Client;
    CallServer ext4Server;
    CallServer blockServer;
    List<TraceContext> tracesSeen;
    List<byte[]> blocksSeen;

    @BeforeEach
    void setUp() {
        clock = new ManualClock();
        transport = new InMemoryTransport();
        tracesSeen = new ArrayList<>();
        blocksSeen = new ArrayList<>();
        vfsClient = new CallClient(Topics.replies("vfs"), transport, clock, clock, s -> java.util.Optional.of(true),
                Runnable::run);
        ext4Client = new CallClient(Topics.replies("ext4"), transport, clock, clock, s -> java.util.Optional.of(true),
                Runnable::run);
        ext4Server = new CallServer("ext4", transport, clock, Runnable::run).register(WRITE, (w, ctx) -> {
            tracesSeen.add(ctx.trace());
            if (w.len() <= 0) {
                throw new ErrnoException(Errno.EINVAL, "len must be positive");
            }
            byte[] block = new byte[w.len()];
            for (int i = 0; i < block.length; i++) {
                block[i] = (byte) i;
            }
            // the downstream call gets the time this call has left
            byte[] ack = ext4Client.invoke("blockdev", SUBMIT, block, ctx.remaining(), ctx.trace());
            return new Written(w.ino(), ack.length);
        });
        blockServer = new CallServer("blockdev", transport, clock, Runnable::run).register(SUBMIT, (b, ctx) -> {
            tracesSeen.add(ctx.trace());
            blocksSeen.add(b);
            return b;
        });
        transport.routeCalls("ext4", ext4Server)
                .routeCalls("blockdev", blockServer)
                .routeReplies("vfs", vfsClient)
                .routeReplies("ext4", ext4Client);
    }

    @Test
    void aCallCrossesTwoServicesAndComesBack() {
        CompletableFuture<Written> future = vfsClient.call("ext4", WRITE, new Write(12, 0, 4096), TIMEOUT, TRACE);

        assertThat(future).isCompletedWithValue(new Written(12, 4096));
        assertThat(tracesSeen).containsExactly(TRACE, TRACE);
        assertThat(blocksSeen).singleElement().satisfies(b -> {
            assertThat(b).hasSize(4096);
            assertThat(b[255]).isEqualTo((byte) 255);
        });
        assertThat(transport.topics()).containsExactly("ext4sim.ext4.calls", "ext4sim.blockdev.calls",
                "ext4sim.ext4.replies", "ext4sim.vfs.replies");
        assertThat(vfsClient.inFlight()).isZero();
        assertThat(ext4Client.inFlight()).isZero();
        assertThat(clock.pendingTasks()).as("every deadline timer cancelled").isZero();
    }

    @Test
    void theBlockTravelsAsTheRecordValueNotAsJson() {
        vfsClient.call("ext4", WRITE, new Write(12, 0, 4096), TIMEOUT, TRACE);

        Frame submit = transport.last(Topics.calls("blockdev"));
        assertThat(submit.value()).hasSize(4096).isEqualTo(blocksSeen.getFirst());
    }

    @Test
    void anErrnoCrossesBackToTheCaller() {
        CompletableFuture<Written> future = vfsClient.call("ext4", WRITE, new Write(12, 0, 0), TIMEOUT, TRACE);

        ErrnoException e = (ErrnoException) catchThrowableOfType(CompletionException.class, future::join).getCause();
        assertThat(e.errno()).isEqualTo(Errno.EINVAL);
        assertThat(e.detail()).isEqualTo("len must be positive");
    }

    @Test
    void aVersionMismatchFailsAtOnceWithEproto() {
        CallType<Write, Written> v2 = CallType.json("ext4_write", 2, Write.class, Written.class);

        CompletableFuture<Written> future = vfsClient.call("ext4", v2, new Write(12, 0, 1), TIMEOUT, TRACE);

        ErrnoException e = (ErrnoException) catchThrowableOfType(CompletionException.class, future::join).getCause();
        assertThat(e.errno()).isEqualTo(Errno.EPROTO);
        assertThat(transport.sent(Topics.DEAD_LETTER)).hasSize(1);
        assertThat(clock.elapsed()).isZero();
    }

    @Test
    void aPeerThatNeverAnswersTimesOutOnTheManualClock() {
        transport.unroute(Topics.calls("ext4"));

        CompletableFuture<Written> future = vfsClient.call("ext4", WRITE, new Write(12, 0, 1), TIMEOUT, TRACE);
        assertThat(future).isNotDone();
        clock.advance(TIMEOUT);

        ErrnoException e = (ErrnoException) catchThrowableOfType(CompletionException.class, future::join).getCause();
        assertThat(e.errno()).isEqualTo(Errno.ETIMEDOUT);
    }
}
