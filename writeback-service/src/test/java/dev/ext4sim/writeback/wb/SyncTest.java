package dev.ext4sim.writeback.wb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SyncTest {
    /** A workqueue the test drains by hand, so the caller's wait is visible. */
    static final class HandWorkqueue implements Workqueue {
        final Deque<Runnable> queued = new ArrayDeque<>();

        @Override
        public synchronized void queue_work(Runnable work) {
            queued.add(work);
        }

        void drain() {
            Runnable r;
            while ((r = poll()) != null) {
                r.run();
            }
        }

        private synchronized Runnable poll() {
            return queued.poll();
        }
    }

    @Test
    void syncInodesSbWritesEveryDirtyInodeWithSyncAllAndCompletesItsWaiter() {
        HandWorkqueue wq = new HandWorkqueue();
        WbFixture f = new WbFixture(Writeback.Config.defaults(), t -> wq);
        f.write(12, 2);
        f.write(13, 1);
        TraceContext caller = WbFixture.task("sync", 77);

        CompletableFuture<Void> done = f.writeback.sync_inodes_sb(WbFixture.SDA1, caller);
        assertThat(done).as("the caller waits for the flusher").isNotDone();
        assertThat(f.names("sync")).containsExactly("writeback_queue");
        assertThat(f.lines("writeback_queue")).containsExactly("bdi 8:0: sb_dev 8:1 nr_pages=9223372036854775807"
                + " sync_mode=1 kupdate=0 range_cyclic=0 background=0 reason=sync cgroup=/");

        wq.drain();
        assertThat(done).isCompleted();
        assertThat(f.ext4.calls).extracting(FakeExt4.Call::ino).containsExactly(12L, 13L);
        assertThat(f.ext4.calls).allSatisfy(c -> {
            assertThat(c.wbc().syncMode()).isEqualTo(WritebackControl.WB_SYNC_ALL);
            assertThat(c.wbc().forSync()).isTrue();
            assertThat(c.wbc().nrToWrite()).isEqualTo(Long.MAX_VALUE);
            assertThat(c.wbc().rangeCyclic()).isFalse();
        });
        assertThat(f.ext4.dirty(12) + f.ext4.dirty(13)).isZero();
        assertThat(f.wb.lists().bDirty()).isEmpty();
        // the kworker events carry the sync caller's trace id
        assertThat(f.sink.events("writeback_exec")).singleElement().satisfies(e -> {
            assertThat(e.comm()).isEqualTo("kworker/u16:2");
            assertThat(e.traceId()).isEqualTo(caller.traceId());
        });
        assertThat(f.names("kworker")).startsWith("writeback_exec", "writeback_start", "writeback_queue_io",
                "writeback_single_inode_start");
    }

    @Test
    void syncQueuesStartAllThenTheIntegrityPassForEachFilesystem() {
        WbFixture f = new WbFixture();
        f.write(12, 4);
        TraceContext caller = WbFixture.task("sync", 78);
        CompletableFuture<Void> done = f.writeback.sync(caller);
        assertThat(done).isCompleted();
        assertThat(f.lines("writeback_queue")).containsExactly(
                "bdi 8:0: sb_dev 0:0 nr_pages=5 sync_mode=0 kupdate=0 range_cyclic=0 background=0 reason=sync cgroup=/",
                "bdi 8:0: sb_dev 8:1 nr_pages=9223372036854775807 sync_mode=1 kupdate=0 range_cyclic=0 background=0"
                        + " reason=sync cgroup=/");
        assertThat(f.ext4.dirty(12)).isZero();
        assertThat(f.wb.lists().bDirty()).isEmpty();
    }

    @Test
    void onKworkerThreadsASyncCompletesAndTheWorkRunsInTheKworkerTask() throws Exception {
        WbFixture f = new WbFixture(Writeback.Config.defaults(), Writeback.kworkers());
        try {
            f.write(12, 3);
            CompletableFuture<Void> done = f.writeback.sync_inodes_sb(WbFixture.SDA1, WbFixture.task("sync", 79));
            done.get(30, TimeUnit.SECONDS);
            assertThat(f.ext4.calls).singleElement().satisfies(c -> {
                assertThat(c.comm()).isEqualTo("kworker/u16:2");
                assertThat(c.pid()).isEqualTo(89);
            });
            assertThat(f.ext4.dirty(12)).isZero();
        } finally {
            f.writeback.close();
        }
        assertThat(f.wb.worker()).isEqualTo(new Task("kworker/u16:2", 89));
    }

    @Test
    void workQueuedAfterShutdownCompletesAtOnceWithoutWriting() {
        WbFixture f = new WbFixture();
        f.write(12, 1);
        f.writeback.close();
        assertThat(f.writeback.sync(WbFixture.task("sync", 80))).isCompleted();
        assertThat(f.ext4.calls).isEmpty();
    }
}
