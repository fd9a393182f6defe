package dev.ext4sim.jbd2.journal;

import static dev.ext4sim.jbd2.testing.JournalFixture.await;
import static dev.ext4sim.jbd2.testing.JournalFixture.block;
import static dev.ext4sim.jbd2.testing.JournalFixture.home;
import static dev.ext4sim.jbd2.testing.JournalFixture.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.jbd2.testing.JournalFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CommitTest {
    private final JournalFixture f = new JournalFixture();
    private final List<Commit.StateChange> states = new CopyOnWriteArrayList<>();
    private Kjournald2 kjournald;

    private Journal load() {
        f.load();
        f.checkHomesOutsideJournal();
        kjournald = new Kjournald2(f.journal, states::add);
        return f.journal;
    }

    @AfterEach
    void stop() {
        if (kjournald != null) {
            kjournald.stop();
        }
    }

    private static void dirty(Journal j, Handle h, long block, int fill) {
        j.jbd2_journal_get_write_access(h, block);
        j.jbd2_journal_dirty_metadata(h, block, block(fill));
    }

    @Test
    void oneHandleWalksTheStateMachineWithTheKernelsTracepoints() {
        Journal j = load();
        TraceContext writer = task("demo", 1234);
        Handle h = j.jbd2_journal_start(writer, 4, 1, 100);
        assertThat(h.tid()).isEqualTo(2); // mke2fs writes s_sequence 1: the first transaction is 2
        dirty(j, h, home(0), 0x11);
        assertThat(j.state(2)).contains(TransactionState.T_RUNNING);
        j.jbd2_journal_stop(h);
        j.jbd2_log_start_commit(2, writer);
        assertThat(kjournald.commitNow()).hasValue(2);

        assertThat(states).extracting(Commit.StateChange::state).containsExactly(
                TransactionState.T_LOCKED, TransactionState.T_SWITCH, TransactionState.T_FLUSH,
                TransactionState.T_COMMIT, TransactionState.T_COMMIT_DFLUSH, TransactionState.T_COMMIT_JFLUSH,
                TransactionState.T_COMMIT_CALLBACK, TransactionState.T_FINISHED);
        // each of the 3 log blocks (descriptor, copy, commit block) mapped through inode 8: a lookup miss, the extent
        // (a clean journal's first commit writes the log tail first: JBD2_FLUSHED)
        assertThat(f.events()).containsExactlyElementsOf(Stream.of(List.of("jbd2_handle_start", "jbd2_handle_stats",
                "jbd2_write_superblock", "jbd2_start_commit", "jbd2_commit_locking", "jbd2_commit_flushing", "jbd2_commit_logging"),
                Collections.nCopies(3, List.of("ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
                        "ext4_ext_map_blocks_enter", "ext4_ext_show_extent", "ext4_ext_map_blocks_exit",
                        "ext4_es_insert_extent")).stream().flatMap(List::stream).toList(),
                // the t_forget pass hands the committed buffer to the VM: the block device inode was clean
                List.of("block_dirty_buffer", "writeback_dirty_page", "writeback_mark_inode_dirty",
                        "writeback_dirty_inode_enqueue"),
                List.of("jbd2_run_stats", "jbd2_end_commit")).flatMap(List::stream).toList());
        assertThat(f.lines("block_dirty_buffer")).containsExactly("8,1 sector=" + home(0) + " size=4096");
        assertThat(f.lines("jbd2_handle_start")).containsExactly("dev 8,1 tid 2 type 1 line_no 100 requested_blocks 4");
        assertThat(f.lines("jbd2_handle_stats")).containsExactly(
                "dev 8,1 tid 2 type 1 line_no 100 interval 0 sync 0 requested_blocks 4 dirtied_blocks 1");
        assertThat(f.lines("jbd2_start_commit")).containsExactly("dev 8,1 transaction 2 sync 0");
        assertThat(f.lines("jbd2_run_stats")).containsExactly("dev 8,1 tid 2 wait 0 request_delay 0 running 0 locked 0"
                + " flushing 0 logging 0 handle_count 1 blocks 1 blocks_logged 3");
        assertThat(f.lines("jbd2_end_commit")).containsExactly("dev 8,1 transaction 2 sync 0 head 2");
        assertThat(f.sink.events("jbd2_start_commit").getFirst().comm()).isEqualTo("jbd2/sda1-8");
        assertThat(f.sink.events("jbd2_start_commit").getFirst().traceId()).isEqualTo(writer.traceId());
        assertThat(f.sink.events("jbd2_handle_start").getFirst().comm()).isEqualTo("demo");
        assertThat(j.commitSequence()).isEqualTo(2);
        assertThat(j.state(2)).isEmpty();
    }

    @Test
    void aCommitWhoseRequesterFoundTheOrderedDataWrittenTracesItsFlushButCallsTheFilesystemOnlyIfARangeCameLater() {
        List<Integer> calls = new CopyOnWriteArrayList<>();
        f.load(JournalConfig.defaults().withBatchTime(Duration.ZERO, Duration.ZERO), (tid, inodes) -> calls.add(tid));
        kjournald = new Kjournald2(f.journal, states::add);
        Journal j = f.journal;
        TraceContext fsync = task("fsync", 1);

        Handle a = j.jbd2_journal_start(fsync, 2, 2, 1);
        dirty(j, a, home(0), 1);
        j.jbd2_journal_inode_ranged_write(a, 12, 0, 4096);
        j.jbd2_journal_stop(a);
        j.jbd2_log_start_commit(a.tid(), fsync, true);
        assertThat(kjournald.commitNow()).hasValue(a.tid());
        assertThat(calls).as("ext4 wrote the range before it asked").isEmpty();
        assertThat(f.sink.events("jbd2_submit_inode_data")).hasSize(1);

        Handle b = j.jbd2_journal_start(fsync, 2, 2, 2);
        dirty(j, b, home(1), 2);
        j.jbd2_journal_inode_ranged_write(b, 12, 4096, 4096);
        j.jbd2_journal_stop(b);
        j.jbd2_log_start_commit(b.tid(), fsync, true);
        Handle later = j.jbd2_journal_start(task("flusher", 2), 2, 2, 3);
        j.jbd2_journal_inode_ranged_write(later, 13, 0, 4096);
        j.jbd2_journal_stop(later);
        assertThat(later.tid()).isEqualTo(b.tid());
        assertThat(kjournald.commitNow()).hasValue(b.tid());
        assertThat(calls).as("a range registered after the request").containsExactly(b.tid());

        Handle c = j.jbd2_journal_start(fsync, 2, 2, 4);
        j.jbd2_journal_inode_ranged_write(c, 12, 8192, 4096);
        j.jbd2_journal_stop(c);
        j.jbd2_log_start_commit(c.tid(), fsync, true);
        j.jbd2_log_start_commit(c.tid(), task("fsync", 3), false);
        assertThat(kjournald.commitNow()).hasValue(c.tid());
        assertThat(calls).as("another requester found data to write").containsExactly(b.tid(), c.tid());

        Handle d = j.jbd2_journal_start(fsync, 2, 2, 5);
        j.jbd2_journal_inode_ranged_write(d, 12, 12288, 4096);
        j.jbd2_journal_stop(d);
        j.jbd2_log_start_commit(d.tid(), fsync);
        assertThat(kjournald.commitNow()).hasValue(d.tid());
        assertThat(calls).as("a request that did not look").containsExactly(b.tid(), c.tid(), d.tid());
    }

    @Test
    void theCommitBlockGoesLastWithPreflushAndFua() {
        Journal j = load();
        Handle h = j.jbd2_journal_start(task("demo", 1), 2, 1, 1);
        dirty(j, h, home(0), 1);
        dirty(j, h, home(1), 2);
        j.jbd2_journal_stop(h);
        f.port.clear();
        j.jbd2_log_start_commit(h.tid(), task("demo", 1));
        kjournald.commitNow();

        List<BlockIo.Bio> bios = f.port.submits().stream().flatMap(s -> s.bios().stream()).toList();
        // first commit after mount: the superblock with the tail, then descriptor + 2 blocks, then the commit block
        BlockIo.Bio commit = bios.getLast();
        assertThat(commit.flags()).contains(BlockIo.PREFLUSH, BlockIo.FUA);
        assertThat(bios.subList(0, bios.size() - 1)).allSatisfy(b -> assertThat(b.flags()).doesNotContain(BlockIo.FUA));
        assertThat(bios).filteredOn(b -> b.bytes() == 0).isEmpty(); // no bare flush: the barrier flags carry them
        assertThat(f.port.submits()).hasSize(1); // one plug
    }

    @Test
    void concurrentHandlesCommitOnceAndEverySyncWaiterWakes() throws Exception {
        Journal j = load();
        kjournald.start();
        int n = 8;
        CountDownLatch started = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                int k = i;
                results.add(pool.submit(() -> {
                    Handle h = j.jbd2_journal_start(task("fsync" + k, 2000 + k), 2, 1, 10 + k);
                    started.countDown();
                    go.await();
                    dirty(j, h, home(k), k + 1);
                    h.setSync(true);
                    return j.jbd2_journal_stop(h); // starts the commit and waits for it
                }));
            }
            started.await();
            go.countDown();
            List<Integer> tids = new ArrayList<>();
            for (Future<Integer> r : results) {
                tids.add(r.get());
            }
            assertThat(tids).containsOnly(2);
        }
        // j_commit_sequence is set before the commit callback runs, as in the kernel: a waiter may wake before it
        await("the commit callback", () -> !f.commits.isEmpty());
        await("the commit's end", () -> !f.lines("jbd2_end_commit").isEmpty());
        assertThat(f.commits).hasSize(1);
        assertThat(f.commits.getFirst().handleCount()).isEqualTo(n);
        assertThat(f.commits.getFirst().blocks()).isEqualTo(n);
        assertThat(f.commits.getFirst().requested()).isTrue();
        List<String> ev = f.events();
        assertThat(ev.stream().filter(e -> e.startsWith("jbd2_commit") || e.endsWith("_commit") || e.equals("jbd2_run_stats")))
                .containsExactly("jbd2_start_commit", "jbd2_commit_locking", "jbd2_commit_flushing", "jbd2_commit_logging",
                        "jbd2_run_stats", "jbd2_end_commit");
        // every handle stopped before the commit left T_LOCKED
        assertThat(ev.lastIndexOf("jbd2_handle_stats")).isLessThan(ev.indexOf("jbd2_commit_flushing"));
        assertThat(f.lines("jbd2_start_commit")).containsExactly("dev 8,1 transaction 2 sync 1");
        assertThat(f.journal.procInfo()).startsWith("1 transactions (1 requested), each up to 255 blocks\n");
        for (int k = 0; k < n; k++) {
            assertThat(f.commits).isNotEmpty();
        }
    }

    @Test
    void aHandleStartedWhileTheTransactionIsLockedWaitsForTheNextOne() throws Exception {
        Journal j = load();
        kjournald.start();
        Handle a = j.jbd2_journal_start(task("a", 1), 1, 1, 1);
        dirty(j, a, home(0), 1);
        j.jbd2_log_start_commit(2, task("a", 1));
        await("transaction 2 locked", () -> j.state(2).orElse(null) == TransactionState.T_LOCKED);

        CountDownLatch bStarted = new CountDownLatch(1);
        int[] bTid = new int[1];
        Thread b = Thread.ofVirtual().start(() -> {
            Handle hb = j.jbd2_journal_start(task("b", 2), 1, 1, 2);
            bTid[0] = hb.tid();
            bStarted.countDown();
            j.jbd2_journal_stop(hb);
        });
        await("b waits on j_wait_transaction_locked", () -> b.getState() == Thread.State.WAITING);
        assertThat(bStarted.getCount()).isEqualTo(1);
        assertThat(j.state(2)).contains(TransactionState.T_LOCKED);

        j.jbd2_journal_stop(a);
        j.jbd2_log_wait_commit(2);
        b.join(Duration.ofSeconds(10));
        assertThat(bTid[0]).isEqualTo(3);
        List<String> ev = f.events();
        int flushing = ev.indexOf("jbd2_commit_flushing");
        int bStart = ev.lastIndexOf("jbd2_handle_start");
        assertThat(bStart).isGreaterThan(flushing);
        assertThat(f.lines("jbd2_handle_start").getLast()).isEqualTo("dev 8,1 tid 3 type 1 line_no 2 requested_blocks 1");
    }

    @Test
    void theCommitTimerCommitsAfterTheIntervalAndProcInfoShowsIt() {
        Journal j = load();
        kjournald.start();
        assertThat(j.procInfo()).isEqualTo("0 transactions (0 requested), each up to 255 blocks\n");
        Handle h = j.jbd2_journal_start(task("w", 7), 1, 2, 1);
        dirty(j, h, home(3), 3);
        f.clock.advanceMillis(1000);
        j.jbd2_journal_stop(h);
        f.clock.advanceMillis(3999);
        assertThat(j.commitSequence()).isEqualTo(1);
        f.clock.advanceMillis(1); // t_expires = 5 s, a whole second: the timer fires
        await("timer commit and its run stats", () -> j.commitSequence() == 2 && !f.commits.isEmpty());
        assertThat(f.commits.getFirst().requested()).isFalse();
        assertThat(j.procInfo()).isEqualTo("""
                1 transactions (0 requested), each up to 255 blocks
                average:\s
                  0ms waiting for transaction
                  0ms request delay
                  5000ms running transaction
                  0ms transaction was being locked
                  0ms flushing data (in ordered mode)
                  0ms logging transaction
                  0us average transaction commit time
                  1 handles per transaction
                  1 blocks per transaction
                  3 logged blocks per transaction
                """);
        assertThat(f.lines("jbd2_handle_stats")).containsExactly(
                "dev 8,1 tid 2 type 2 line_no 1 interval 250 sync 0 requested_blocks 1 dirtied_blocks 1");
    }

    @Test
    void requestDelayAndRunningAreMeasuredInJiffies() {
        Journal j = load();
        Handle h = j.jbd2_journal_start(task("w", 7), 1, 1, 1);
        dirty(j, h, home(3), 3);
        j.jbd2_journal_stop(h);
        f.clock.advanceMillis(1000);
        j.jbd2_log_start_commit(2, task("w", 7));
        f.clock.advanceMillis(12);
        kjournald.commitNow();
        assertThat(f.lines("jbd2_run_stats")).containsExactly("dev 8,1 tid 2 wait 0 request_delay 12 running 1012 locked 0"
                + " flushing 0 logging 0 handle_count 1 blocks 1 blocks_logged 3");
        assertThat(j.procInfo()).contains("1 transactions (1 requested)", "  12ms request delay\n", "  1012ms running transaction\n");
    }

    @Test
    void extendGrowsCreditsWhileRunningAndRefusesOnceLocked() throws Exception {
        Journal j = load();
        kjournald.start();
        Handle h = j.jbd2_journal_start(task("w", 1), 1, 3, 5);
        dirty(j, h, home(0), 1);
        assertThatThrownBy(() -> dirty(j, h, home(1), 2))
                .isInstanceOf(ErrnoException.class)
                .satisfies(e -> assertThat(((ErrnoException) e).errno()).isEqualTo(Errno.ENOSPC))
                .hasMessageContaining("jbd2_journal_extend");
        assertThat(j.jbd2_journal_extend(h, 2)).isTrue();
        dirty(j, h, home(1), 2);
        assertThat(f.lines("jbd2_handle_extend")).containsExactly(
                "dev 8,1 tid 2 type 3 line_no 5 buffer_credits 0 requested_blocks 2");

        j.jbd2_log_start_commit(2, task("w", 1));
        await("locked", () -> j.state(2).orElse(null) == TransactionState.T_LOCKED);
        assertThat(j.jbd2_journal_extend(h, 1)).isFalse();
        j.jbd2_journal_restart(h, 2); // leaves tid 2 (which then commits) and joins tid 3
        assertThat(h.tid()).isEqualTo(3);
        dirty(j, h, home(2), 3);
        j.jbd2_journal_stop(h);
        j.jbd2_log_wait_commit(2);
        assertThat(f.lines("jbd2_handle_restart")).containsExactly("dev 8,1 tid 3 type 3 line_no 5 requested_blocks 2");
        await("the commit callback", () -> !f.commits.isEmpty()); // it may run after the waiter woke
        assertThat(f.commits.getFirst().blocks()).isEqualTo(2);
    }

    @Test
    void aStoppedHandleIsRefusedAndDirtyingNeedsWriteAccess() {
        Journal j = load();
        Handle h = j.jbd2_journal_start(task("w", 1), 2, 1, 1);
        assertThatThrownBy(() -> j.jbd2_journal_dirty_metadata(h, home(0), block(1)))
                .hasMessageContaining("jbd2_journal_get_write_access");
        j.jbd2_journal_stop(h);
        assertThatThrownBy(() -> j.jbd2_journal_stop(h)).hasMessageContaining("already stopped");
        assertThatThrownBy(() -> j.jbd2_journal_start(task("w", 1), 100_000, 1, 1))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("split the operation");
    }

    @Test
    void groupCommitBatchingLetsOtherSyncWritersJoin() throws Exception {
        f.load(JournalConfig.defaults().withBatchTime(Duration.ZERO, Duration.ofMillis(15)));
        Journal j = f.journal;
        kjournald = new Kjournald2(j, states::add).start();
        // task A stops a sync handle: never committed before, average 0 → sleeps min(max(0, 0), 15 ms) = 0? no: the
        // commit time is clamped to [min, max]; with average 0 and min 0 it is 0, so A does not sleep.
        // Give the journal an average commit time first, then batch.
        Handle warm = j.jbd2_journal_start(task("warm", 1), 1, 1, 1);
        dirty(j, warm, home(9), 9);
        j.jbd2_journal_stop(warm);
        f.clock.advanceMillis(5000);
        await("first commit", () -> j.commitSequence() == 2);
        f.journal.stats().updateAverageCommitTime(10_000_000); // 10 ms, as if commits took that long

        Thread a = Thread.ofVirtual().start(() -> {
            Handle h = j.jbd2_journal_start(task("a", 11), 1, 1, 1);
            dirty(j, h, home(0), 1);
            h.setSync(true);
            j.jbd2_journal_stop(h);
        });
        await("a sleeps in the batch wait", () -> a.getState() == Thread.State.WAITING && f.clock.pendingTasks() >= 1
                && f.sink.events("jbd2_handle_stats").size() == 2);
        Handle b = j.jbd2_journal_start(task("b", 12), 1, 1, 2);
        assertThat(b.tid()).isEqualTo(3); // joins a's transaction while a sleeps
        dirty(j, b, home(1), 2);
        j.jbd2_journal_stop(b);
        f.clock.advanceMillis(10); // a wakes after the average commit time, starts the commit and waits
        a.join(Duration.ofSeconds(10));
        assertThat(j.commitSequence()).isEqualTo(3);
        assertThat(f.commits.getLast().handleCount()).isEqualTo(2);
    }
}
