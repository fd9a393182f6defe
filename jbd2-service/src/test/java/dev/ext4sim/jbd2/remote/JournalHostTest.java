package dev.ext4sim.jbd2.remote;

import static dev.ext4sim.jbd2.testing.JournalFixture.await;
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
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.jbd2.journal.CommitListener;
import dev.ext4sim.jbd2.journal.Handle;
import dev.ext4sim.jbd2.journal.JournalConfig;
import dev.ext4sim.jbd2.journal.OrderedData;
import dev.ext4sim.jbd2.testing.JournalFixture;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The journal as the bus serves it, on a manual clock over a disk in memory: load and its epoch, the fence,
 * validation that changes nothing, handle leases, and a load after a crash that recovers.
 */
@Timeout(60) // a wait that never ends (a handle the lease did not stop) fails instead of hanging the build
class JournalHostTest {
    static final Duration LEASE = Duration.ofSeconds(3);
    private final JournalFixture f = new JournalFixture();
    private final List<Handle> expired = new CopyOnWriteArrayList<>();
    private final List<Jbd2Calls.Loaded> loads = new CopyOnWriteArrayList<>();
    private final List<JournalHost> hosts = new CopyOnWriteArrayList<>();
    private final TraceContext ext4 = task("ext4-mount", 300);

    private JournalHost host() {
        JournalConfig config = JournalConfig.defaults().withBatchTime(Duration.ZERO, Duration.ZERO);
        JournalHost h = new JournalHost(new JournalHost.Settings("sda1", config, LEASE), f.clock, f.clock,
                new Tracer("jbd2-service", f.clock.traceClock(), f.sink, 2), f.port, OrderedData.NONE,
                CommitListener.NONE, expired::add, loads::add);
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

    private static void errno(Errno errno, String detail, ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> {
            assertThat(e.errno()).isEqualTo(errno);
            assertThat(e.detail()).contains(detail);
        });
    }

    private Jbd2Calls.RunHandle run(long epoch, boolean sync, int... blocksAndFills) {
        List<Jbd2Calls.Op> ops = new java.util.ArrayList<>();
        java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < blocksAndFills.length; i += 2) {
            ops.add(new Jbd2Calls.Op(Jbd2Calls.GET_WRITE_ACCESS, home(blocksAndFills[i])));
            ops.add(new Jbd2Calls.Op(Jbd2Calls.DIRTY_METADATA, home(blocksAndFills[i])));
            data.writeBytes(block(blocksAndFills[i + 1]));
        }
        return new Jbd2Calls.RunHandle(epoch, Math.max(1, blocksAndFills.length / 2), 1, 42, sync, ops, data.toByteArray());
    }

    @Test
    void callsBeforeALoadAreRefusedAndTheLoadIsIdempotentUnderOneEpoch() {
        JournalHost host = host();
        Jbd2Server server = new Jbd2Server(host);
        errno(Errno.ENODEV, "ext4 must mount first", () -> server.start(new Jbd2Calls.Start(1, 1, 1, 1), ctx(ext4)));
        errno(Errno.ENOENT, "/proc/fs/jbd2/sda1-8/info does not exist", () -> server.info(new Jbd2Calls.Info("sda1"), ctx(ext4)));
        errno(Errno.ENODEV, "journals sda1, not sdb1", () -> host.load("sdb1", ext4));

        Jbd2Calls.Loaded first = host.load("sda1", ext4);
        assertThat(first.nextTid()).isEqualTo(2); // mke2fs's s_sequence 1, clean: the first transaction is 2
        assertThat(first.replayed()).isZero();
        assertThat(first.maxTransaction()).isEqualTo(host.current().orElseThrow().journal().maxTransactionBuffers());
        f.clock.advanceMillis(5);
        assertThat(host.load("sda1", ext4)).isEqualTo(first);
        assertThat(loads).containsExactly(first); // published once, for the one new epoch

        errno(Errno.ESTALE, "load the journal again", () -> server.start(new Jbd2Calls.Start(first.epoch() - 1, 1, 1, 1), ctx(ext4)));
        errno(Errno.ESTALE, "load the journal again", () -> server.waitFor(new Jbd2Calls.Wait(first.epoch() + 1, Jbd2Calls.FORCE_COMMIT, 0), ctx(ext4)));
        assertThat(server.info(new Jbd2Calls.Info("sda1"), ctx(ext4)).text()).startsWith("0 transactions (0 requested), each up to");
    }

    @Test
    void aRestartedServiceRecoversWhatWasCommittedAndServesALargerEpoch() {
        JournalHost a = host();
        Jbd2Server sa = new Jbd2Server(a);
        Jbd2Calls.Loaded la = a.load("sda1", ext4);
        int tid = sa.run(run(la.epoch(), false, 0, 0x11, 1, 0x12), ctx(task("writer", 7))).tid();
        sa.waitFor(new Jbd2Calls.Wait(la.epoch(), Jbd2Calls.COMPLETE_TRANSACTION, tid), ctx(task("writer", 7)));
        assertThat(f.disk.read(home(0))).as("committed, not checkpointed").isNotEqualTo(block(0x11));
        // SIGKILL: nothing is shut down; a new process loads from the same disk a little later
        f.clock.advanceMillis(1);
        JournalHost b = host();
        assertThat(b.needsRecovery()).isTrue();
        Jbd2Calls.Loaded lb = b.load("sda1", ext4);
        assertThat(lb.epoch()).isGreaterThan(la.epoch());
        assertThat(lb.replayed()).isEqualTo(1);
        assertThat(lb.blocksReplayed()).isEqualTo(2);
        // end_transaction = tid + 1 (the first not replayed); our recovery writes s_sequence = end + 1 as e2fsck
        // does, and the kernel mounting a clean journal starts at s_sequence + 1: no tid of the old log comes back
        assertThat(lb.nextTid()).isEqualTo(tid + 3);
        assertThat(f.disk.read(home(0))).isEqualTo(block(0x11));
        assertThat(f.disk.read(home(1))).isEqualTo(block(0x12));
        // the first host's first commit on a clean journal (JBD2_FLUSHED: REQ_SYNC), then journal_reset after the
        // recovery (REQ_SYNC|REQ_FUA)
        assertThat(f.lines("jbd2_write_superblock")).containsExactly("dev 8,1 write_flags 800", "dev 8,1 write_flags 20800");
        errno(Errno.ESTALE, "epoch " + la.epoch(), () -> new Jbd2Server(b).start(new Jbd2Calls.Start(la.epoch(), 1, 1, 1), ctx(ext4)));
    }

    @Test
    void badInputIsRefusedBeforeItTouchesTheJournal() {
        JournalHost host = host();
        Jbd2Server server = new Jbd2Server(host);
        long epoch = host.load("sda1", ext4).epoch();
        CallContext c = ctx(task("writer", 7));
        byte[] one = block(1);
        errno(Errno.EINVAL, "without get_write_access", () -> server.run(new Jbd2Calls.RunHandle(epoch, 1, 1, 1, false,
                List.of(new Jbd2Calls.Op(Jbd2Calls.DIRTY_METADATA, home(0))), one), c));
        errno(Errno.EINVAL, "unknown handle operation", () -> server.run(new Jbd2Calls.RunHandle(epoch, 1, 1, 1, false,
                List.of(new Jbd2Calls.Op("scribble", home(0))), new byte[0]), c));
        errno(Errno.EINVAL, "outside sda1", () -> server.run(new Jbd2Calls.RunHandle(epoch, 1, 1, 1, false,
                List.of(new Jbd2Calls.Op(Jbd2Calls.REVOKE, 1L << 40)), new byte[0]), c));
        errno(Errno.EINVAL, "carries 4095 bytes", () -> server.run(new Jbd2Calls.RunHandle(epoch, 1, 1, 1, false,
                List.of(new Jbd2Calls.Op(Jbd2Calls.GET_WRITE_ACCESS, home(0)), new Jbd2Calls.Op(Jbd2Calls.DIRTY_METADATA, home(0))),
                new byte[4095]), c));
        errno(Errno.ENOSPC, "ask for more credits", () -> server.run(new Jbd2Calls.RunHandle(epoch, 1, 1, 1, false,
                List.of(new Jbd2Calls.Op(Jbd2Calls.GET_WRITE_ACCESS, home(0)), new Jbd2Calls.Op(Jbd2Calls.DIRTY_METADATA, home(0)),
                        new Jbd2Calls.Op(Jbd2Calls.GET_WRITE_ACCESS, home(1)), new Jbd2Calls.Op(Jbd2Calls.DIRTY_METADATA, home(1))),
                new byte[8192]), c));
        errno(Errno.EINVAL, "the range non-empty", () -> server.run(new Jbd2Calls.RunHandle(epoch, 1, 1, 1, false,
                List.of(Jbd2Calls.Op.inodeRangedWrite(12, 0, 0)), new byte[0]), c));
        errno(Errno.EINVAL, "does not exist yet", () -> server.waitFor(new Jbd2Calls.Wait(epoch, Jbd2Calls.LOG_WAIT_COMMIT, 99), c));
        errno(Errno.EINVAL, "unknown log wait", () -> server.waitFor(new Jbd2Calls.Wait(epoch, "nap", 1), c));
        errno(Errno.EINVAL, "is not open", () -> server.stop(new Jbd2Calls.Stop(epoch, 12345, false), c));
        assertThat(host.current().orElseThrow().journal().runningTid()).as("no transaction was even started").isEmpty();
        assertThat(f.events()).doesNotContain("jbd2_handle_start");
    }

    @Test
    void anIdleRemoteHandleIsStoppedWhenItsLeaseRunsOutAndTheTransactionCommits() {
        JournalHost host = host();
        Jbd2Server server = new Jbd2Server(host);
        long epoch = host.load("sda1", ext4).epoch();
        TraceContext writer = task("dying-writer", 4242);
        Jbd2Calls.Started s = server.start(new Jbd2Calls.Start(epoch, 2, 1, 77), ctx(writer));
        server.buffer(new Jbd2Calls.BufferOp(epoch, s.handle(), Jbd2Calls.GET_WRITE_ACCESS, home(3), null), ctx(writer));
        f.clock.advance(LEASE.minusMillis(1));
        // each call renews the lease
        server.buffer(new Jbd2Calls.BufferOp(epoch, s.handle(), Jbd2Calls.DIRTY_METADATA, home(3), block(0x33)), ctx(writer));
        f.clock.advance(LEASE.minusMillis(1));
        assertThat(expired).isEmpty();
        assertThat(host.current().orElseThrow().handles().openHandles()).isEqualTo(1);

        f.clock.advanceMillis(1); // a whole lease since the last call: the caller is gone
        assertThat(expired).singleElement().satisfies(h -> {
            assertThat(h.id()).isEqualTo(s.handle());
            assertThat(h.owner().task().comm()).isEqualTo("dying-writer");
        });
        assertThat(host.current().orElseThrow().handles().openHandles()).isZero();
        assertThat(f.lines("jbd2_handle_stats")).singleElement().asString().contains("tid " + s.tid(), "dirtied_blocks 1");
        assertThat(f.sink.events("jbd2_handle_stats").getFirst().comm()).isEqualTo("dying-writer");
        errno(Errno.EINVAL, "lease ran out", () -> server.stop(new Jbd2Calls.Stop(epoch, s.handle(), false), ctx(writer)));

        // the transaction is no longer held open: a forced commit goes through and carries the expired handle's block
        Jbd2Calls.Waited w = server.waitFor(new Jbd2Calls.Wait(epoch, Jbd2Calls.FORCE_COMMIT, 0), ctx(task("sync", 9)));
        assertThat(w.commitSequence()).isEqualTo(s.tid());
        await("the commit's stats", () -> !f.lines("jbd2_run_stats").isEmpty());
        assertThat(f.lines("jbd2_run_stats").getFirst()).contains("handle_count 1 blocks 1");
    }

    @Test
    void aHandleAcrossCallsCommitsWithItsInodeRangeAndRunsTheOrderedDataHookOnce() {
        List<List<OrderedData.InodeRange>> ordered = new CopyOnWriteArrayList<>();
        JournalConfig config = JournalConfig.defaults().withBatchTime(Duration.ZERO, Duration.ZERO);
        JournalHost host = new JournalHost(new JournalHost.Settings("sda1", config, LEASE), f.clock, f.clock,
                new Tracer("jbd2-service", f.clock.traceClock(), f.sink, 2), f.port, (tid, inodes) -> ordered.add(inodes),
                CommitListener.NONE, expired::add, loads::add);
        hosts.add(host);
        Jbd2Server server = new Jbd2Server(host);
        long epoch = host.load("sda1", ext4).epoch();
        TraceContext writer = task("writer", 7);
        Jbd2Calls.Started s = server.start(new Jbd2Calls.Start(epoch, 1, 1, 10), ctx(writer));
        server.buffer(Jbd2Calls.BufferOp.inodeRangedWrite(epoch, s.handle(), 12, 0, 4096), ctx(writer));
        server.buffer(Jbd2Calls.BufferOp.inodeRangedWrite(epoch, s.handle(), 12, 8192, 4096), ctx(writer));
        assertThat(server.extend(new Jbd2Calls.Extend(epoch, s.handle(), 1), ctx(writer)).extended()).isTrue();
        int tid = server.stop(new Jbd2Calls.Stop(epoch, s.handle(), true), ctx(writer)).tid();
        assertThat(tid).isEqualTo(s.tid());
        assertThat(ordered).containsExactly(List.of(new OrderedData.InodeRange(12, 0, 12287)));
        // j_commit_sequence moves before T_FINISHED, as in jbd2_journal_commit_transaction: the waiter may
        // return while kjournald2 is still between jbd2_run_stats and jbd2_end_commit
        await("the commit's end", () -> !f.lines("jbd2_end_commit").isEmpty());
        assertThat(f.events()).containsSubsequence("jbd2_handle_start", "jbd2_handle_extend", "jbd2_handle_stats",
                "jbd2_commit_flushing", "jbd2_submit_inode_data", "jbd2_commit_logging", "jbd2_end_commit");
        assertThat(f.lines("jbd2_submit_inode_data")).containsExactly("dev 8,1 ino 12");
        // a handle-less transaction makes no ordered-data call
        server.run(run(epoch, true, 5, 0x55), ctx(writer));
        assertThat(ordered).hasSize(1);
    }
}
