package dev.ext4sim.jbd2.remote;

import static dev.ext4sim.jbd2.testing.JournalFixture.block;
import static dev.ext4sim.jbd2.testing.JournalFixture.home;
import static dev.ext4sim.jbd2.testing.JournalFixture.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.call.CallContext;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.jbd2.journal.CommitListener;
import dev.ext4sim.jbd2.journal.JournalConfig;
import dev.ext4sim.jbd2.journal.OrderedData;
import dev.ext4sim.jbd2.testing.JournalFixture;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** RUN_BATCH (ext4's queued handles in one call) and LOAD by another mount id. */
@Timeout(60)
class RunBatchTest {
    private final JournalFixture f = new JournalFixture();
    private final List<JournalHost> hosts = new ArrayList<>();
    private final TraceContext ext4 = task("ext4-mount", 300);

    private JournalHost host() {
        return host(OrderedData.NONE);
    }

    private JournalHost host(OrderedData orderedData) {
        JournalConfig config = JournalConfig.defaults().withBatchTime(Duration.ZERO, Duration.ZERO);
        JournalHost h = new JournalHost(new JournalHost.Settings("sda1", config, Duration.ofSeconds(3)), f.clock, f.clock,
                new Tracer("jbd2-service", f.clock.traceClock(), f.sink, 2), f.port, orderedData,
                CommitListener.NONE, h2 -> { }, l -> { });
        hosts.add(h);
        return h;
    }

    @AfterEach
    void close() {
        hosts.forEach(JournalHost::close);
    }

    private CallContext ctx(TraceContext trace) {
        return new CallContext("test", trace, f.clock.currentTimeMillis() + 10_000, f.clock);
    }

    /** One handle writing {@code fill} into home block {@code i}, owned by writer-{@code pid}, run at {@code at} ns. */
    private static Jbd2Calls.BatchEntry entry(int i, int pid, long at, ByteArrayOutputStream data, int fill) {
        data.writeBytes(block(fill));
        return new Jbd2Calls.BatchEntry(1, 1, 100 + pid, List.of(new Jbd2Calls.Op(Jbd2Calls.GET_WRITE_ACCESS, home(i)),
                new Jbd2Calls.Op(Jbd2Calls.DIRTY_METADATA, home(i))), "writer", pid, "trace" + pid, at, at + 1000);
    }

    @Test
    void aBatchRunsItsHandlesInOrderEachInItsOwnersTaskAtExt4sTimes() {
        JournalHost host = host();
        Jbd2Server server = new Jbd2Server(host);
        Jbd2Calls.Loaded l = host.load("sda1", "mount-a", ext4);
        f.clock.advanceMillis(50);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        List<Jbd2Calls.BatchEntry> entries = new ArrayList<>();
        entries.add(entry(0, 1, 1_000_000, data, 0x11));
        entries.add(entry(0, 2, 2_000_000, data, 0x22)); // the same block again, newer
        // credits 0: refused, the others still run
        entries.add(new Jbd2Calls.BatchEntry(0, 1, 9, List.of(new Jbd2Calls.Op(Jbd2Calls.GET_WRITE_ACCESS, home(5)),
                new Jbd2Calls.Op(Jbd2Calls.DIRTY_METADATA, home(5))), "writer", 3, "trace3", 3_000_000, 3_001_000));
        data.writeBytes(block(0x33));
        entries.add(entry(1, 4, 4_000_000, data, 0x44));

        Jbd2Calls.BatchAck ack = server.runBatch(new Jbd2Calls.RunBatch(l.epoch(), entries, data.toByteArray()), ctx(ext4));

        assertThat(ack.tids()).containsExactly(l.nextTid(), l.nextTid(), -1, l.nextTid());
        assertThat(ack.errors().get(2)).startsWith("ENOSPC");
        List<TraceEvent> starts = f.sink.events("jbd2_handle_start");
        assertThat(starts).extracting(TraceEvent::comm).containsExactly("writer", "writer", "writer");
        assertThat(starts).extracting(TraceEvent::pid).containsExactly(1, 2, 4);
        assertThat(starts).extracting(TraceEvent::traceId).containsExactly("trace1", "trace2", "trace4");
        assertThat(starts).extracting(TraceEvent::timestampNanos).containsExactly(1_000_000L, 2_000_000L, 4_000_000L);
        assertThat(f.sink.events("jbd2_handle_stats")).extracting(TraceEvent::timestampNanos)
                .containsExactly(1_001_000L, 2_001_000L, 4_001_000L);

        server.waitFor(new Jbd2Calls.Wait(l.epoch(), Jbd2Calls.FLUSH, 0), ctx(ext4));
        assertThat(f.disk.read(home(0))).as("the newer contents are home").isEqualTo(block(0x22));
        assertThat(f.disk.read(home(1))).isEqualTo(block(0x44));

        assertThatThrownBy(() -> server.runBatch(new Jbd2Calls.RunBatch(l.epoch() - 1, List.of(), new byte[0]), ctx(ext4)))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ESTALE));
    }

    @Test
    void aBatchSentAgainIsAppliedOnceAndALateOlderOneNotAtAll() {
        JournalHost host = host();
        Jbd2Server server = new Jbd2Server(host);
        Jbd2Calls.Loaded l = host.load("sda1", "mount-a", ext4);
        ByteArrayOutputStream d1 = new ByteArrayOutputStream();
        Jbd2Calls.RunBatch first = new Jbd2Calls.RunBatch(l.epoch(), 1, List.of(entry(4, 1, 1_000_000, d1, 0x71)), d1.toByteArray());
        ByteArrayOutputStream d2 = new ByteArrayOutputStream();
        Jbd2Calls.RunBatch second = new Jbd2Calls.RunBatch(l.epoch(), 2, List.of(entry(4, 2, 2_000_000, d2, 0x72)), d2.toByteArray());

        Jbd2Calls.BatchAck ack = server.runBatch(first, ctx(ext4));
        assertThat(server.runBatch(first, ctx(ext4))).as("the retry after a timeout").isEqualTo(ack);
        assertThat(f.sink.events("jbd2_handle_start")).hasSize(1);
        server.runBatch(second, ctx(ext4));
        assertThatThrownBy(() -> server.runBatch(first, ctx(ext4))).as("the first attempt, arriving late")
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));

        server.waitFor(new Jbd2Calls.Wait(l.epoch(), Jbd2Calls.FLUSH, 0), ctx(ext4));
        assertThat(f.disk.read(home(4))).as("the newer contents stay").isEqualTo(block(0x72));
    }

    @Test
    void completeTransactionSaysWhetherItsCommitFlushedAfterTheCall() {
        JournalHost host = host();
        Jbd2Server server = new Jbd2Server(host);
        Jbd2Calls.Loaded l = host.load("sda1", "mount-a", ext4);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        int tid = server.runBatch(new Jbd2Calls.RunBatch(l.epoch(), List.of(entry(2, 1, 1_000_000, data, 0x66)),
                data.toByteArray()), ctx(ext4)).tids().getFirst();
        Jbd2Calls.Waited first = server.waitFor(new Jbd2Calls.Wait(l.epoch(), Jbd2Calls.COMPLETE_TRANSACTION, tid), ctx(ext4));
        assertThat(first.barrier()).as("it was running: its commit block's PREFLUSH came after the call").isTrue();
        assertThat(first.commitSequence()).isEqualTo(tid);
        Jbd2Calls.Waited again = server.waitFor(new Jbd2Calls.Wait(l.epoch(), Jbd2Calls.COMPLETE_TRANSACTION, tid), ctx(ext4));
        assertThat(again.barrier()).as("already committed: the caller must flush").isFalse();
        assertThat(server.waitFor(new Jbd2Calls.Wait(l.epoch(), Jbd2Calls.FORCE_COMMIT, 0), ctx(ext4)).barrier()).isNull();
    }

    @Test
    void aBatchAnFsyncWaitsOnStartsTheCommitOfItsTransaction() {
        JournalHost host = host();
        Jbd2Server server = new Jbd2Server(host);
        Jbd2Calls.Loaded l = host.load("sda1", "mount-a", ext4);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        Jbd2Calls.BatchAck ack = server.runBatch(new Jbd2Calls.RunBatch(l.epoch(), 1, List.of(entry(2, 1, 1_000_000, data, 0x67)),
                true, data.toByteArray()), ctx(ext4));
        assertThat(ack.barrier()).as("judged before the commit began: its commit block's PREFLUSH is still to come").isTrue();
        int tid = ack.tids().getFirst();
        // a bare wait starts nothing: only the batch can have started this commit
        Jbd2Calls.Waited waited = server.waitFor(new Jbd2Calls.Wait(l.epoch(), Jbd2Calls.LOG_WAIT_COMMIT, tid), ctx(ext4));
        assertThat(waited.commitSequence()).isEqualTo(tid);
        assertThat(f.sink.events("jbd2_start_commit")).hasSize(1);
    }

    @Test
    void aBatchWhoseFsyncFoundTheOrderedDataWrittenStartsACommitThatDoesNotCallExt4BackForIt() {
        List<Integer> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        JournalHost host = host((tid, inodes) -> calls.add(tid));
        Jbd2Server server = new Jbd2Server(host);
        Jbd2Calls.Loaded l = host.load("sda1", "mount-a", ext4);
        int[] tids = new int[2];
        for (int i = 0; i < 2; i++) {
            boolean written = i == 0;
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            data.writeBytes(block(0x50 + i));
            Jbd2Calls.BatchEntry allocating = new Jbd2Calls.BatchEntry(2, 2, 2843, List.of(
                    new Jbd2Calls.Op(Jbd2Calls.GET_WRITE_ACCESS, home(6 + i)), new Jbd2Calls.Op(Jbd2Calls.DIRTY_METADATA, home(6 + i)),
                    Jbd2Calls.Op.inodeRangedWrite(12, i * 4096L, 4096)), "fsync", 7, "trace7", 1_000_000, 1_001_000);
            Jbd2Calls.BatchAck ack = server.runBatch(new Jbd2Calls.RunBatch(l.epoch(), i + 1, List.of(allocating), true,
                    written, data.toByteArray()), ctx(ext4));
            tids[i] = ack.tids().getFirst();
            server.waitFor(new Jbd2Calls.Wait(l.epoch(), Jbd2Calls.LOG_WAIT_COMMIT, tids[i]), ctx(ext4));
        }
        assertThat(f.sink.events("jbd2_submit_inode_data")).as("T_FLUSH traced in both commits").hasSize(2);
        assertThat(calls).as("only the commit whose fsync did not say the data was written calls ext4")
                .containsExactly(tids[1]);
    }

    @Test
    void anotherMountIdGetsTheCommittedMetadataHomeAndANewEpoch() {
        JournalHost host = host();
        Jbd2Server server = new Jbd2Server(host);
        Jbd2Calls.Loaded a = host.load("sda1", "mount-a", ext4);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        List<Jbd2Calls.BatchEntry> entries = List.of(entry(3, 1, 1_000_000, data, 0x55));
        server.runBatch(new Jbd2Calls.RunBatch(a.epoch(), entries, data.toByteArray()), ctx(ext4));
        assertThat(host.load("sda1", "mount-a", ext4)).as("the same mount: idempotent").isEqualTo(a);
        assertThat(f.disk.read(home(3))).isNotEqualTo(block(0x55));

        f.clock.advanceMillis(1);
        Jbd2Calls.Loaded b = host.load("sda1", "mount-b", ext4);

        assertThat(b.epoch()).isGreaterThan(a.epoch());
        assertThat(f.disk.read(home(3))).as("the dead mount's running handle was committed and checkpointed home")
                .isEqualTo(block(0x55));
        assertThatThrownBy(() -> server.runBatch(new Jbd2Calls.RunBatch(a.epoch(), List.of(), new byte[0]), ctx(ext4)))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ESTALE));
    }
}
