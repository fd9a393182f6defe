package dev.ext4sim.jbd2.journal;

import static dev.ext4sim.jbd2.testing.JournalFixture.await;
import static dev.ext4sim.jbd2.testing.JournalFixture.block;
import static dev.ext4sim.jbd2.testing.JournalFixture.home;
import static dev.ext4sim.jbd2.testing.JournalFixture.task;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.jbd2.testing.JournalFixture;
import dev.ext4sim.ondisk.jbd2.JournalSuperblock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CheckpointTest {
    private final JournalFixture f = new JournalFixture();
    private Kjournald2 kjournald;

    @AfterEach
    void stop() {
        if (kjournald != null) {
            kjournald.stop();
        }
    }

    private int commit(Journal j, int... blocksAndFills) {
        Handle h = j.jbd2_journal_start(task("w", 1), Math.max(1, blocksAndFills.length / 2), 1, 1);
        for (int i = 0; i < blocksAndFills.length; i += 2) {
            long b = home(blocksAndFills[i]);
            j.jbd2_journal_get_write_access(h, b);
            j.jbd2_journal_dirty_metadata(h, b, block(blocksAndFills[i + 1]));
        }
        int tid = h.tid();
        j.jbd2_journal_stop(h);
        j.jbd2_log_start_commit(tid, task("w", 1));
        kjournald.commitNow();
        return tid;
    }

    private JournalSuperblock jsb() {
        return f.journal.writer.journal().superblock();
    }

    @Test
    void flushWritesTheNewestCopiesHomeAndMovesTheTail() {
        f.load();
        f.checkHomesOutsideJournal();
        Journal j = f.journal;
        kjournald = new Kjournald2(j);
        assertThat(commit(j, 0, 0xA0, 1, 0xA1)).isEqualTo(2);
        assertThat(commit(j, 1, 0xB1, 2, 0xB2)).isEqualTo(3);
        assertThat(f.disk.read(home(1))).isNotEqualTo(block(0xB1)); // not home before the checkpoint
        long freeBefore = j.freeBlocks();
        assertThat(jsb().sequence()).isEqualTo(2);

        j.jbd2_journal_flush(task("sync", 9));

        assertThat(f.disk.read(home(0))).isEqualTo(block(0xA0));
        assertThat(f.disk.read(home(1))).isEqualTo(block(0xB1));
        assertThat(f.disk.read(home(2))).isEqualTo(block(0xB2));
        assertThat(j.freeBlocks()).isGreaterThan(freeBefore).isEqualTo(j.capacity());
        assertThat(jsb().sequence()).isEqualTo(4); // tail = the next transaction
        assertThat(jsb().start()).as("jbd2_mark_journal_empty: nothing to replay").isZero();
        assertThat(f.lines("jbd2_checkpoint_stats")).containsExactly(
                "dev 8,1 tid 2 chp_time 0 forced_to_close 0 written 1 dropped 1",
                "dev 8,1 tid 3 chp_time 0 forced_to_close 0 written 2 dropped 0");
        assertThat(f.lines("jbd2_drop_transaction")).containsExactly("dev 8,1 transaction 2 sync 0",
                "dev 8,1 transaction 3 sync 0");
        var ev = f.events();
        assertThat(ev.indexOf("jbd2_drop_transaction")).isEqualTo(ev.indexOf("jbd2_checkpoint_stats") + 1);
    }

    private static List<String> between(List<String> events, String from, String to) {
        return events.subList(events.indexOf(from) + 1, events.indexOf(to));
    }

    @Test
    void aCommitThatLogsEveryBlockOfAnOlderTransactionDropsItBeforeItsRunStatsAndOnlyTheNewCopyGoesHome() {
        f.load();
        f.checkHomesOutsideJournal();
        Journal j = f.journal;
        kjournald = new Kjournald2(j).start();
        Handle h2 = j.jbd2_journal_start(task("w", 1), 1, 1, 1);
        j.jbd2_journal_get_write_access(h2, home(0));
        j.jbd2_journal_dirty_metadata(h2, home(0), block(0xA1));
        h2.setSync(true);
        j.jbd2_journal_stop(h2); // commits tid 2 and waits
        await("tid 2's end", () -> f.sink.events("jbd2_end_commit").size() == 1);
        f.sink.clear();

        Handle h3 = j.jbd2_journal_start(task("w", 1), 1, 1, 2);
        j.jbd2_journal_get_write_access(h3, home(0));
        j.jbd2_journal_dirty_metadata(h3, home(0), block(0xA2));
        j.jbd2_journal_stop(h3);
        j.jbd2_log_start_commit(3, task("w", 1));
        await("tid 3's end", () -> f.sink.events("jbd2_end_commit").size() == 1);

        List<String> jbd2 = f.events().stream().filter(e -> e.startsWith("jbd2_") && !e.startsWith("jbd2_handle")).toList();
        assertThat(jbd2).containsExactly("jbd2_start_commit", "jbd2_commit_locking", "jbd2_commit_flushing",
                "jbd2_commit_logging", "jbd2_checkpoint_stats", "jbd2_drop_transaction", "jbd2_run_stats", "jbd2_end_commit");
        // the t_forget pass runs after the log blocks were mapped
        assertThat(f.events().indexOf("jbd2_checkpoint_stats")).isGreaterThan(f.events().lastIndexOf("ext4_es_lookup_extent_exit"));
        assertThat(f.lines("jbd2_checkpoint_stats")).containsExactly(
                "dev 8,1 tid 2 chp_time 0 forced_to_close 0 written 0 dropped 1");
        assertThat(f.lines("jbd2_drop_transaction")).containsExactly("dev 8,1 transaction 2 sync 1");
        assertThat(f.sink.events("jbd2_drop_transaction").getFirst().comm()).isEqualTo("jbd2/sda1-8");
        // the dropped transaction is still in the log until a checkpoint moves the tail
        assertThat(f.lines("jbd2_end_commit")).containsExactly("dev 8,1 transaction 3 sync 0 head 2");
        assertThat(j.checkpoint.transactions()).isEqualTo(1);

        j.jbd2_journal_flush(task("sync", 9));
        assertThat(f.lines("jbd2_checkpoint_stats")).containsExactly(
                "dev 8,1 tid 2 chp_time 0 forced_to_close 0 written 0 dropped 1",
                "dev 8,1 tid 3 chp_time 0 forced_to_close 0 written 1 dropped 0");
        assertThat(f.lines("jbd2_drop_transaction")).containsExactly("dev 8,1 transaction 2 sync 1",
                "dev 8,1 transaction 3 sync 0");
        assertThat(f.disk.read(home(0))).isEqualTo(block(0xA2));
        assertThat(f.port.writes(home(0))).as("tid 2's copy never goes home").singleElement()
                .satisfies(b -> assertThat(b).isEqualTo(block(0xA2)));
    }

    @Test
    void oneCommitDropsTheOlderTransactionsItEmptiesInItsForgetOrderAndAnEmptyCommitDropsItselfAfterItsEnd() {
        f.load();
        f.checkHomesOutsideJournal();
        Journal j = f.journal;
        kjournald = new Kjournald2(j);
        commit(j, 0, 0xA0);         // tid 2: A
        commit(j, 1, 0xB1);         // tid 3: B
        commit(j, 2, 0xC2, 1, 0xB2); // tid 4: C, B; leaves tid 2 its A
        f.sink.clear();
        // tid 5 revokes C and logs A then B: its t_forget list is C (revoked), then B and A (the reverse of logging)
        Handle h = j.jbd2_journal_start(task("w", 1), 2, 1, 1);
        j.jbd2_journal_revoke(h, home(2));
        for (int b : new int[]{0, 1}) {
            j.jbd2_journal_get_write_access(h, home(b));
            j.jbd2_journal_dirty_metadata(h, home(b), block(0xD0 + b));
        }
        j.jbd2_journal_stop(h);
        j.jbd2_log_start_commit(5, task("w", 1));
        kjournald.commitNow();

        List<String> jbd2 = f.events().stream().filter(e -> e.startsWith("jbd2_")).toList();
        assertThat(between(jbd2, "jbd2_commit_logging", "jbd2_run_stats")).containsExactly(
                "jbd2_checkpoint_stats", "jbd2_drop_transaction", "jbd2_checkpoint_stats", "jbd2_drop_transaction");
        // C takes tid 4's C, B takes tid 4's B (tid 4 empties), then A empties tid 2; tid 3's B went to tid 4 before
        assertThat(f.lines("jbd2_checkpoint_stats")).containsExactly(
                "dev 8,1 tid 4 chp_time 0 forced_to_close 0 written 0 dropped 2",
                "dev 8,1 tid 2 chp_time 0 forced_to_close 0 written 0 dropped 1");
        assertThat(f.lines("jbd2_drop_transaction")).containsExactly("dev 8,1 transaction 4 sync 0",
                "dev 8,1 transaction 2 sync 0");
        f.sink.clear();

        // a commit with nothing to checkpoint: dropped at the end of its own commit, without checkpoint stats
        Handle empty = j.jbd2_journal_start(task("w", 1), 1, 1, 1);
        j.jbd2_journal_revoke(empty, home(3));
        j.jbd2_journal_stop(empty);
        j.jbd2_log_start_commit(6, task("w", 1));
        kjournald.commitNow();
        assertThat(f.events().stream().filter(e -> e.startsWith("jbd2_")).toList()).endsWith(
                "jbd2_run_stats", "jbd2_end_commit", "jbd2_drop_transaction");
        assertThat(f.lines("jbd2_drop_transaction")).containsExactly("dev 8,1 transaction 6 sync 0");
        assertThat(f.sink.events("jbd2_checkpoint_stats")).isEmpty();

        j.jbd2_journal_flush(task("sync", 9));
        assertThat(f.lines("jbd2_checkpoint_stats")).containsExactly(
                "dev 8,1 tid 5 chp_time 0 forced_to_close 0 written 2 dropped 0");
        assertThat(f.disk.read(home(0))).isEqualTo(block(0xD0));
        assertThat(f.disk.read(home(1))).isEqualTo(block(0xD1));
        assertThat(f.disk.read(home(2))).as("revoked: never checkpointed").isEqualTo(new byte[4096]);
        assertThat(f.port.writes(home(0))).singleElement().satisfies(b -> assertThat(b).isEqualTo(block(0xD0)));
        assertThat(f.port.writes(home(1))).singleElement().satisfies(b -> assertThat(b).isEqualTo(block(0xD1)));
    }

    @Test
    void aCommitAfterTheFlushWritesTheTailAgainAndIsReplayed() {
        f.load();
        Journal j = f.journal;
        kjournald = new Kjournald2(j);
        commit(j, 0, 0xA0);
        j.jbd2_journal_flush(task("sync", 9));
        assertThat(jsb().start()).isZero();

        int tid = commit(j, 3, 0xC3);

        assertThat(jsb().start()).as("JBD2_FLUSHED: the tail is written before the commit").isNotZero();
        assertThat(jsb().sequence()).isEqualTo(tid);
        assertThat(f.disk.read(home(3))).isNotEqualTo(block(0xC3));
        f.load(); // a new jbd2-service, as after a crash: ext4_load_journal recovers from the rewritten tail
        var recovered = f.mounted.recovered().orElseThrow();
        assertThat(recovered.startTid()).isEqualTo(tid);
        assertThat(f.disk.read(home(3))).isEqualTo(block(0xC3));
    }

    @Test
    void committedMetadataGoesHomeAfterTheCheckpointAge() {
        f.load(JournalConfig.defaults().withBatchTime(Duration.ZERO, Duration.ZERO).withCheckpointAge(Duration.ofSeconds(30)));
        Journal j = f.journal;
        kjournald = new Kjournald2(j).start();
        Handle h = j.jbd2_journal_start(task("w", 1), 1, 1, 1);
        j.jbd2_journal_get_write_access(h, home(5));
        j.jbd2_journal_dirty_metadata(h, home(5), block(5));
        j.jbd2_journal_stop(h);
        f.clock.advanceMillis(5000);
        await("commit", () -> j.commitSequence() == 2);
        f.clock.advanceMillis(29_000);
        assertThat(f.sink.events("jbd2_checkpoint_stats")).isEmpty();
        f.clock.advanceMillis(1000);
        await("checkpoint", () -> f.sink.events("jbd2_drop_transaction").size() == 1);
        assertThat(f.disk.read(home(5))).isEqualTo(block(5));
    }

    @Test
    void theLogWrapsAndAFullLogForcesACheckpoint() {
        f.load();
        f.checkHomesOutsideJournal();
        Journal j = f.journal;
        kjournald = new Kjournald2(j);
        int perTx = j.maxTransactionBuffers(); // 255 of a 1023-block log
        long capacity = j.capacity();
        int commits = 12;
        for (int c = 0; c < commits; c++) {
            int[] args = new int[perTx * 2];
            for (int i = 0; i < perTx; i++) {
                args[2 * i] = i;
                args[2 * i + 1] = c + 1;
            }
            commit(j, args);
            if (j.checkpoint.lowOnSpace()) {
                j.checkpoint.jbd2_log_do_checkpoint(true);
            }
        }
        // 12 transactions of ~257 log blocks went through a log of 1023: it wrapped several times
        assertThat((long) commits * (perTx + 2)).isGreaterThan(3 * capacity);
        assertThat(j.commitSequence()).isEqualTo(1 + commits);
        assertThat(f.lines("jbd2_checkpoint_stats")).anyMatch(l -> l.contains("forced_to_close 1"));
        j.jbd2_journal_flush(task("sync", 1));
        for (int i = 0; i < perTx; i++) {
            assertThat(Arrays.equals(f.disk.read(home(i)), block(commits))).as("block %d", i).isTrue();
        }
    }
}
