package dev.ext4sim.ext4.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.call.Topics;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.testing.InMemoryTransport;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.JournalHandle;
import dev.ext4sim.ext4.port.JournalTid;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The journal pump against a fake jbd2-service on an in-memory bus. */
class JournalPumpTest {
    static final TraceContext W = new TraceContext("00000000000000aa", new Task("writer", 42));

    ManualClock clock;
    FakeJbd2 jbd2;
    JournalPump pump;
    CallClient client;
    java.util.concurrent.ExecutorService handlers;

    @BeforeEach
    void setUp() {
        clock = new ManualClock();
        InMemoryTransport transport = new InMemoryTransport();
        handlers = Executors.newVirtualThreadPerTaskExecutor();
        jbd2 = new FakeJbd2();
        CallServer server = new CallServer(Jbd2Calls.SERVICE, transport, clock, handlers);
        jbd2.register(server);
        client = new CallClient(Topics.replies("ext4-service"), transport, clock, clock, s -> Optional.of(true),
                Runnable::run);
        transport.routeCalls(Jbd2Calls.SERVICE, server).routeReplies("ext4-service", client);
        pump = new JournalPump(client, new JournalPump.Settings("sda1", "mount-a", Duration.ofSeconds(30),
                Duration.ofMillis(10), 4), clock::nanoTime);
        pump.load(W);
    }

    @AfterEach
    void tearDown() {
        pump.close();
        handlers.shutdownNow();
    }

    static byte[] block(int fill) {
        byte[] b = new byte[4096];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    JournalTid handle(long blockNr, int fill) {
        JournalHandle h = pump.start(W, 1, 1, 100);
        h.getWriteAccess(blockNr);
        h.dirtyMetadata(blockNr, block(fill));
        return h.stop();
    }

    static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.onSpinWait();
            Thread.sleep(1); // polling a condition with a deadline, not timing
        }
    }

    @Test
    void handlesGoInOrderOneBatchInFlightAndTheirTidsResolve() throws Exception {
        jbd2.gate.drainPermits();
        JournalTid first = handle(100, 1);
        await(() -> jbd2.inFlight.get() == 1);
        JournalTid second = handle(100, 2);
        JournalTid third = handle(101, 3);
        assertThat(first.peek()).isEqualTo(-1);
        assertThat(pump.queued()).isEqualTo(2);

        jbd2.gate.release(Integer.MAX_VALUE / 2);
        assertThat(third.await()).isEqualTo(10);
        assertThat(first.await()).isEqualTo(10);
        assertThat(second.peek()).isEqualTo(10);
        assertThat(jbd2.maxInFlight.get()).isEqualTo(1);
        assertThat(jbd2.batches).hasSize(2);
        assertThat(jbd2.batches.get(0).entries()).hasSize(1);
        // the later handles travel together, in the order they stopped, block 100's newer contents after its older
        assertThat(jbd2.batches.get(1).entries()).extracting(Jbd2Calls.BatchEntry::lineNo).containsExactly(100, 100);
        assertThat(jbd2.batches.get(1).data()[0]).isEqualTo((byte) 2);
        assertThat(jbd2.batches.get(1).data()[4096]).isEqualTo((byte) 3);
        assertThat(jbd2.batches.get(1).entries().getFirst().comm()).isEqualTo("writer");
    }

    @Test
    void lingeringHandlesTravelTogetherAndAnFsyncSendsThemAtOnce() throws Exception {
        pump.close();
        // an hour on a clock that never moves: only the waiter below can make the pump send
        pump = new JournalPump(client, new JournalPump.Settings("sda1", "mount-a", Duration.ofSeconds(30),
                Duration.ofMillis(10), 64, Duration.ofHours(1)), clock::nanoTime);
        pump.load(W);
        JournalTid first = handle(100, 1);
        JournalTid second = handle(101, 2);
        assertThat(pump.queued()).isEqualTo(2);
        assertThat(jbd2.batches).isEmpty();

        assertThat(second.await()).isEqualTo(10);
        assertThat(first.peek()).isEqualTo(10);
        assertThat(jbd2.batches).hasSize(1);
        assertThat(jbd2.batches.getFirst().entries()).hasSize(2);
        assertThat(jbd2.batches.getFirst().startCommit()).as("a tid awaited, no commit asked for").isFalse();

        // an fsync's jbd2_complete_transaction: the batch carrying its handle asks for the commit too, and when that
        // commit is known done with the batch's answer, no wait is sent; its flush came after the fsync's data
        JournalTid fsynced = handle(102, 3);
        assertThat(pump.completeTransaction(W, fsynced)).as("the commit's flush covers the data").isTrue();
        assertThat(jbd2.batches).hasSize(2);
        assertThat(jbd2.batches.getLast().startCommit()).isTrue();
        assertThat(jbd2.batches.getLast().orderedDataWritten()).as("the caller did not say it looked").isFalse();
        assertThat(jbd2.served).containsExactly("batch", "batch");
        // a later fdatasync of an overwrite waits on the same i_datasync_tid, long committed: that commit's flush came
        // before this caller's data, so it must flush the device itself (the promise was the first waiter's)
        assertThat(pump.completeTransaction(W, fsynced)).as("a second waiter on the committed handle").isFalse();
        assertThat(jbd2.served).as("known committed: no wait sent").containsExactly("batch", "batch");

        // an fsync that found every page over an allocated block written: its commit needs no data=ordered call
        JournalTid clean = handle(103, 4);
        assertThat(pump.completeTransaction(W, clean, true)).isTrue();
        assertThat(jbd2.batches.getLast().startCommit()).isTrue();
        assertThat(jbd2.batches.getLast().orderedDataWritten()).isTrue();
    }

    @Test
    void syncFsCommitsOnlyAfterTheQueuedHandlesReachedJbd2() throws Exception {
        jbd2.gate.drainPermits();
        handle(100, 1);
        await(() -> jbd2.inFlight.get() == 1);
        handle(101, 2);
        CompletableFuture<Void> sync = CompletableFuture.runAsync(() -> pump.forceCommit(W), handlers);
        jbd2.gate.release(Integer.MAX_VALUE / 2);
        sync.get(10, TimeUnit.SECONDS);
        assertThat(jbd2.served).containsExactly("batch", "batch", Jbd2Calls.FORCE_COMMIT);
    }

    @Test
    void aFullQueueMakesTheWriterWaitNotFail() throws Exception {
        jbd2.gate.drainPermits();
        handle(100, 1);
        await(() -> jbd2.inFlight.get() == 1);
        for (int i = 0; i < 4; i++) {
            handle(200 + i, i);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread writer = Thread.ofVirtual().start(() -> {
            pump.awaitRoom();
            done.complete(null);
        });
        await(() -> writer.getState() == Thread.State.WAITING || done.isDone());
        assertThat(done).as("the writer waits for room").isNotDone();

        jbd2.gate.release(Integer.MAX_VALUE / 2);
        done.get(10, TimeUnit.SECONDS);
        assertThat(pump.queued()).isLessThan(4);
    }

    @Test
    void aRestartedJbd2GetsTheLostBlocksAgainAndFsyncWaitsForTheirNewTid() throws Exception {
        JournalTid committed = handle(50, 5);
        assertThat(committed.await()).isEqualTo(10);
        jbd2.commit(); // tid 10 durable
        JournalTid lost = handle(100, 7);
        assertThat(lost.await()).isEqualTo(11);
        JournalTid lostToo = handle(101, 8);
        assertThat(lostToo.await()).isEqualTo(11);
        jbd2.restart(); // transaction 11 never committed; next tid 12

        JournalTid after = handle(102, 9); // ESTALE, reload, re-log, resend
        assertThat(after.await()).isEqualTo(12);
        assertThat(pump.epoch()).isEqualTo(jbd2.epoch());
        // the re-log handle carries blocks 100 and 101 (not 50, committed), newest contents, before the resent handle
        List<FakeJbd2.Batch> newEpoch = new ArrayList<>(jbd2.batches.stream().filter(b -> b.epoch() == 2).toList());
        assertThat(newEpoch).hasSize(2);
        assertThat(newEpoch.getFirst().entries().getFirst().ops()).extracting(Jbd2Calls.Op::block)
                .containsExactly(100L, 100L, 101L, 101L);
        assertThat(newEpoch.getFirst().data()[0]).isEqualTo((byte) 7);
        assertThat(newEpoch.get(1).entries().getFirst().ops()).extracting(Jbd2Calls.Op::block).contains(102L);

        assertThat(lost.peek()).isEqualTo(12);
        assertThat(pump.completeTransaction(W, lost)).as("its commit's flush came after the call").isTrue();
        assertThat(jbd2.completed).containsExactly(12);
        assertThat(pump.completeTransaction(W, committed)).as("committed long ago: the caller flushes").isFalse();
        assertThat(jbd2.completed).containsExactly(12); // 10 is known committed: no call
    }

    @Test
    void anFsyncWhoseWaitGetsEstaleWaitsForTheRelogged() throws Exception {
        JournalTid lost = handle(100, 7);
        assertThat(lost.await()).isEqualTo(10);
        jbd2.restart();
        // no handle follows: the fsync's own ESTALE makes the pump reload and re-log
        assertThat(pump.completeTransaction(W, lost)).isTrue();
        assertThat(jbd2.completed).containsExactly(jbd2.loaded().nextTid() - 1);
        assertThat(jbd2.batches.getLast().epoch()).isEqualTo(2);
        assertThat(jbd2.batches.getLast().data()[0]).isEqualTo((byte) 7);
    }
}
