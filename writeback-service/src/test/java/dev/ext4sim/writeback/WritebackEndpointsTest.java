package dev.ext4sim.writeback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.call.Topics;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.bus.writeback.WritebackCalls;
import dev.ext4sim.writeback.wb.BdiWriteback;
import dev.ext4sim.writeback.wb.InodeState;
import dev.ext4sim.writeback.wb.Jiffies;
import dev.ext4sim.writeback.wb.Writeback;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WritebackEndpointsTest {
    static final int SDA1 = 8 << 20 | 1;
    static final int DIRTY = InodeState.I_DIRTY_SYNC | InodeState.I_DIRTY_PAGES;
    static final TraceContext WRITER = new TraceContext("7e57", new Task("demo", 1234));

    static BlockIo.DeviceAdded sda() {
        return new BlockIo.DeviceAdded("sda", 8, 0, 2_097_152, 4096, "8:0", true, true, 31,
                List.of(new BlockIo.Partition("sda1", 8, 1, 0, 2_097_152)), "ufs3.1", 12_345);
    }

    /** What ext4 does for a buffered write of {@code pages} pages to a clean inode: pages dirty, inode dirtied. */
    static void write(BusHarness h, long ino, long pages) {
        h.ext4.dirty(ino, pages);
        h.publish(WritebackCalls.INODE_DIRTIED, "sda1/" + ino, new WritebackCalls.InodeDirtied("sda1", ino, DIRTY, DIRTY,
                0100644, h.writeback.jiffies().now()), WRITER);
    }

    @Test
    void theEnqueueIsTracedWhenTheWriterDirtiedTheInodeNotWhenTheEventArrived() {
        try (BusHarness h = new BusHarness()) {
            h.publish(BlockIo.DEVICE_ADDED, "sda", sda(), null);
            h.clock.advance(java.time.Duration.ofMillis(7));
            h.ext4.dirty(12, 1);
            h.publish(WritebackCalls.INODE_DIRTIED, "sda1", new WritebackCalls.InodeDirtied("sda1", 12, DIRTY, DIRTY,
                    0100644, h.writeback.jiffies().now(), 2_000_000L), WRITER);
            assertThat(h.sink.events("writeback_dirty_inode_enqueue")).singleElement()
                    .satisfies(e -> assertThat(e.timestampNanos()).isEqualTo(2_000_000L));
        }
    }

    static BdiWriteback.InodeView inode(BusHarness h, long ino) {
        return h.writeback.wbOf(SDA1).inode(SDA1, ino);
    }

    @Test
    void anInodeDirtiedOverTheBusIsWrittenByTheKworkerOnceItExpired() {
        try (BusHarness h = new BusHarness()) {
            h.publish(BlockIo.DEVICE_ADDED, "sda", sda(), null);
            write(h, 12, 3);

            List<TraceEvent> enqueued = h.sink.events("writeback_dirty_inode_enqueue");
            assertThat(enqueued).singleElement().satisfies(e -> {
                assertThat(e.comm()).isEqualTo("demo");
                assertThat(e.pid()).isEqualTo(1234);
                assertThat(e.traceId()).isEqualTo("7e57");
                assertThat(e.text()).isEqualTo("dev 8,1 ino 12 dirtied 4294892296 state I_DIRTY_SYNC|I_DIRTY_PAGES"
                        + " mode 0100644");
            });

            h.advanceToSeconds(29.9); // the flusher woke every 5 s, but dirty_expire_centisecs is 3000
            assertThat(h.ext4.calls()).isEmpty();

            h.advanceToSeconds(31);
            assertThat(h.ext4.calls()).singleElement().satisfies(c -> {
                assertThat(c.task()).isEqualTo(new Task("kworker/u16:2", 89));
                assertThat(c.request().dev()).isEqualTo("sda1");
                assertThat(c.request().ino()).isEqualTo(12);
                assertThat(c.request().syncMode()).isZero();
                assertThat(c.request().forKupdate()).isTrue();
                assertThat(c.request().reason()).isEqualTo("periodic");
                assertThat(c.written()).isEqualTo(3);
            });
            assertThat(inode(h, 12)).isNull(); // written and clean: off the lists
            assertThat(h.sink.events("writeback_single_inode").getFirst().comm()).isEqualTo("kworker/u16:2");
        }
    }

    @Test
    void syncInodesAnswersOnlyOnceTheFlusherWroteTheInodes() throws Exception {
        ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
        try (BusHarness h = new BusHarness(Writeback.kworkers(), handlers)) {
            h.publish(BlockIo.DEVICE_ADDED, "sda", sda(), null);
            write(h, 12, 5);
            h.ext4.gate = new CountDownLatch(1);

            CompletableFuture<WritebackCalls.Synced> synced = h.caller.call(WritebackCalls.SERVICE,
                    WritebackCalls.SYNC_INODES, new WritebackCalls.SyncInodes("sda1"), BusHarness.TIMEOUT, WRITER);
            assertThat(h.ext4.entered.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(synced).isNotDone();
            assertThat(h.transport.sent(Topics.replies("gateway"))).isEmpty();

            h.ext4.gate.countDown();
            assertThat(synced.get(10, TimeUnit.SECONDS).pagesWritten()).isEqualTo(5);
            assertThat(h.ext4.calls()).extracting(c -> c.task().comm()).containsOnly("kworker/u16:2");
            assertThat(h.ext4.calls()).extracting(c -> c.request().reason()).containsOnly("sync");
            assertThat(h.ext4.calls()).extracting(FakeExt4Server.Call::traceId).contains("7e57");
            assertThat(h.ext4.dirtyPages.get(12L)).isZero();
            assertThat(inode(h, 12)).isNull();
        } finally {
            handlers.shutdownNow();
        }
    }

    @Test
    void syncWritesAnInodeWhoseDirtiedEventHasNotArrivedYet() {
        try (BusHarness h = new BusHarness()) {
            h.publish(BlockIo.DEVICE_ADDED, "sda", sda(), null);
            h.ext4.dirty(30, 2); // written to ext4 a moment ago; its writeback_inode_dirtied is still in flight
            h.ext4.dirtyInodes.add(new dev.ext4sim.bus.ext4.Ext4Calls.DirtyInode(30, DIRTY,
                    h.writeback.jiffies().now(), 2));

            WritebackCalls.Synced synced = h.call(WritebackCalls.SYNC_INODES, new WritebackCalls.SyncInodes("sda1"),
                    WRITER);
            assertThat(synced.pagesWritten()).isEqualTo(2);
            assertThat(h.ext4.calls()).extracting(c -> c.request().ino()).containsExactly(30L);
            assertThat(h.ext4.dirtyInodesCalls).isEqualTo(1);

            h.ext4.dirtyInodes.clear();
            h.ext4.dirtyInodesFails = Errno.ETIMEDOUT; // ext4 slow: sync still syncs what writeback knows
            write(h, 31, 1);
            assertThat(h.call(WritebackCalls.SYNC_INODES, new WritebackCalls.SyncInodes("sda1"), WRITER).pagesWritten())
                    .isEqualTo(1);
        }
    }

    @Test
    void sysctlReadsWritesAndRefusesBadValuesAndPublishesTheNewLimits() {
        try (BusHarness h = new BusHarness()) {
            assertThat(h.call(WritebackCalls.SYSCTL, new WritebackCalls.Sysctl("vm.dirty_expire_centisecs", null), WRITER))
                    .isEqualTo(new WritebackCalls.SysctlValue("vm.dirty_expire_centisecs", "3000"));
            assertThat(h.publishedLimits()).isEmpty();

            assertThat(h.call(WritebackCalls.SYSCTL, new WritebackCalls.Sysctl("vm.dirty_ratio", "40"), WRITER))
                    .isEqualTo(new WritebackCalls.SysctlValue("vm.dirty_ratio", "40"));
            // 1 GiB of dirtyable memory is 262144 pages; the kernel takes the ratios in 1/4096 units (40 % is
            // 1638/4096, 10 % is 409/4096): thresh 104832, background 26176, freerun halfway
            WritebackCalls.DirtyLimits limits = new WritebackCalls.DirtyLimits(26176, 104832, 65504);
            assertThat(h.publishedLimits()).containsExactly(limits);
            assertThat(h.call(WritebackCalls.GET_DIRTY_LIMITS, new WritebackCalls.DirtyLimitsQuery("sda1"), WRITER))
                    .isEqualTo(limits);

            assertErrno(() -> h.call(WritebackCalls.SYSCTL, new WritebackCalls.Sysctl("vm.dirty_ratio", "101"), WRITER),
                    Errno.EINVAL);
            assertErrno(() -> h.call(WritebackCalls.SYSCTL, new WritebackCalls.Sysctl("vm.dirty_ratio", "ten"), WRITER),
                    Errno.EINVAL);
            assertErrno(() -> h.call(WritebackCalls.SYSCTL, new WritebackCalls.Sysctl("vm.swappiness", "60"), WRITER),
                    Errno.ENOENT);
            assertThat(h.writeback.sysctl().get("vm.dirty_ratio")).isEqualTo(40);
            assertThat(h.publishedLimits()).hasSize(1); // refused writes publish nothing
        }
    }

    @Test
    void anExt4TimeoutLeavesTheInodeDirtyAndTheNextPassWritesIt() {
        try (BusHarness h = new BusHarness()) {
            h.publish(BlockIo.DEVICE_ADDED, "sda", sda(), null);
            write(h, 12, 2);
            h.ext4.failures.add(Errno.ETIMEDOUT);

            h.advanceToSeconds(31);
            assertThat(h.ext4.calls()).extracting(FakeExt4Server.Call::written).containsExactly(-1L);
            assertThat(inode(h, 12)).isNotNull();
            assertThat(inode(h, 12).state() & InodeState.I_DIRTY_PAGES).isNotZero();

            h.advanceToSeconds(36);
            assertThat(h.ext4.calls()).extracting(FakeExt4Server.Call::written).containsExactly(-1L, 2L);
            assertThat(inode(h, 12)).isNull();
        }
    }

    @Test
    void aRestartedWritebackRebuildsItsListsFromExt4OnceExt4Answers() {
        try (BusHarness h = new BusHarness()) {
            h.publish(BlockIo.DEVICE_ADDED, "sda", sda(), null);
            h.restart(); // a new process: no bdi, no lists, and the announcement is not delivered again
            long jiffies = h.writeback.jiffies().now();
            h.ext4.dirty(12, 4);
            h.ext4.dirty(13, 1);
            h.ext4.dirtyInodes.add(new dev.ext4sim.bus.ext4.Ext4Calls.DirtyInode(13, DIRTY, jiffies - 10, 1));
            h.ext4.dirtyInodes.add(new dev.ext4sim.bus.ext4.Ext4Calls.DirtyInode(12, DIRTY, jiffies - 20, 4));
            h.ext4.dirtyInodesFails = Errno.ETIMEDOUT; // ext4-service is still starting

            Resync resync = new Resync(h.writeback, h.endpoints, List.of("sda1"), h.clock, Runnable::run, () -> true,
                    java.time.Duration.ofSeconds(1), java.time.Duration.ZERO);
            resync.start();
            h.clock.runDue();
            assertThat(resync.pending()).containsExactly("sda1");
            assertThat(h.ext4.dirtyInodesCalls).isEqualTo(1);
            assertThat(h.publishedLimits()).hasSize(1); // published at start

            h.ext4.dirtyInodesFails = null;
            h.advanceToSeconds(1);
            assertThat(resync.pending()).isEmpty();
            assertThat(h.ext4.dirtyInodesCalls).isEqualTo(2);
            // disk registered by the sd numbering; oldest at the tail of b_dirty, with ext4's dirtied_when
            assertThat(h.writeback.wbOf(SDA1).name()).isEqualTo("8:0");
            assertThat(h.writeback.wbOf(SDA1).lists().bDirty()).containsExactly(13L, 12L);
            assertThat(inode(h, 12).dirtiedWhen()).isEqualTo(jiffies - 20);
            assertThat(h.writeback.vmstat().nr_file_dirty()).isEqualTo(5);
            // ext4's first report replaces the rebuild's estimate instead of adding to it
            h.publish(WritebackCalls.PAGE_COUNTERS, "sda1", new WritebackCalls.PageCounters("sda1", 1, 5, 0), null);
            assertThat(h.writeback.vmstat().nr_file_dirty()).isEqualTo(5);

            h.advanceToSeconds(31);
            assertThat(h.ext4.calls()).extracting(c -> c.request().ino()).containsExactly(12L, 13L);
            assertThat(h.writeback.wbOf(SDA1).lists().bDirty()).isEmpty();
            resync.stop();
        }
    }

    @Test
    void pageCountersAreAbsoluteAndALateReportIsDropped() {
        try (BusHarness h = new BusHarness()) {
            h.publish(BlockIo.DEVICE_ADDED, "sda", sda(), null);
            h.publish(WritebackCalls.PAGE_COUNTERS, "sda1", new WritebackCalls.PageCounters("sda1", 2, 10, 0), null);
            h.publish(WritebackCalls.PAGE_COUNTERS, "sda1", new WritebackCalls.PageCounters("sda1", 1, 99, 99), null);
            assertThat(h.writeback.vmstat().nr_file_dirty()).isEqualTo(10);
            assertThat(h.writeback.vmstat().nr_writeback()).isZero();

            h.publish(WritebackCalls.PAGE_COUNTERS, "sda1", new WritebackCalls.PageCounters("sda1", 3, 4, 6), null);
            h.publish(WritebackCalls.PAGE_COUNTERS, "sda1", new WritebackCalls.PageCounters("sda1", 4, 4, 0), null);
            assertThat(h.writeback.vmstat().nr_file_dirty()).isEqualTo(4);
            assertThat(h.writeback.vmstat().nr_writeback()).isZero();
            assertThat(h.writeback.vmstat().nr_written()).isEqualTo(6);
            assertThat(h.writeback.vmstat().nr_dirtied()).isEqualTo(10);
        }
    }

    @Test
    void aWriterOverTheDirtyLimitIsToldToPauseInItsOwnTask() {
        try (BusHarness h = new BusHarness()) {
            h.publish(BlockIo.DEVICE_ADDED, "sda", sda(), null);
            // 60000 dirty pages of 262144: past the 20 % threshold (52416), so well past freerun (39312)
            h.publish(WritebackCalls.PAGE_COUNTERS, "sda1", new WritebackCalls.PageCounters("sda1", 1, 60_000, 0), null);
            WritebackCalls.Pause pause = h.call(WritebackCalls.BALANCE_DIRTY_PAGES,
                    new WritebackCalls.Balance("sda1", 64), WRITER);
            assertThat(pause.pauseNanos()).isPositive();
            assertThat(h.pauses).hasSize(1);
            assertThat(h.sink.events("balance_dirty_pages")).singleElement()
                    .satisfies(e -> assertThat(e.comm()).isEqualTo("demo"));

            assertErrno(() -> h.call(WritebackCalls.BALANCE_DIRTY_PAGES, new WritebackCalls.Balance("sda1", -1), WRITER),
                    Errno.EINVAL);
            assertErrno(() -> h.call(WritebackCalls.BALANCE_DIRTY_PAGES, new WritebackCalls.Balance("nvme0n1", 1), WRITER),
                    Errno.ENODEV);
            assertErrno(() -> h.call(WritebackCalls.SYNC_INODES, new WritebackCalls.SyncInodes("sdb1"), WRITER),
                    Errno.ENODEV); // sd-shaped but neither announced nor configured: no bdi made up for it
            assertThat(h.writeback.bdis()).hasSize(1);
        }
    }

    @Test
    void badEventsChangeNothingAndADirtiedWhenBeforeInitialJiffiesIsStampedNow() {
        try (BusHarness h = new BusHarness()) {
            h.publish(BlockIo.DEVICE_ADDED, "sda", sda(), null);
            h.advanceToSeconds(10);
            h.publish(WritebackCalls.INODE_DIRTIED, "x", new WritebackCalls.InodeDirtied("sda1", -5, DIRTY, DIRTY, 0, 0), WRITER);
            h.publish(WritebackCalls.INODE_DIRTIED, "x", new WritebackCalls.InodeDirtied("zz9", 12, DIRTY, DIRTY, 0, 0), WRITER);
            assertThat(h.writeback.wbOf(SDA1).lists().bDirty()).isEmpty();

            // a sender counting jiffies from 0 (5 s after its boot): taken as now, not as ~83 minutes old
            h.publish(WritebackCalls.INODE_DIRTIED, "x", new WritebackCalls.InodeDirtied("sda1", 12, DIRTY, DIRTY, 0100644,
                    1250), WRITER);
            assertThat(inode(h, 12).dirtiedWhen()).isEqualTo(Jiffies.INITIAL_JIFFIES + 2500);

            h.publish(WritebackCalls.INODE_EVICTED, "x", new WritebackCalls.InodeEvicted("sda1", 12), null);
            assertThat(inode(h, 12)).isNull();
        }
    }

    private static void assertErrno(Runnable call, Errno errno) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(errno));
    }
}
