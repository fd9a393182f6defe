package dev.ext4sim.jbd2.journal;

import static dev.ext4sim.jbd2.testing.JournalFixture.block;
import static dev.ext4sim.jbd2.testing.JournalFixture.home;
import static dev.ext4sim.jbd2.testing.JournalFixture.task;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.trace.Jiffies;
import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.jbd2.testing.JournalFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The end of a commit hands each committed metadata buffer to the VM (the t_forget pass's
 * __jbd2_journal_refile_buffer > __jbd2_journal_temp_unlink_buffer > mark_buffer_dirty), before jbd2_run_stats:
 * block_dirty_buffer of the home block, then, if the buffer was clean, the block device page's dirtying and
 * __mark_inode_dirty(I_DIRTY_PAGES) of the block device inode.
 */
class BufferExposureTest {
    private static final TraceContext WRITER = task("demo", 1394);
    private static final List<String> HIT = List.of("ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit");

    private JournalFixture f;
    private Kjournald2 kjournald;
    /** Each blk_submit as (trace events recorded before it, the submission). */
    private final List<Map.Entry<Integer, BlockIo.Submit>> submits = new CopyOnWriteArrayList<>();

    private Journal load(KernelProfile profile) {
        f = new JournalFixture(profile);
        f.load();
        f.checkHomesOutsideJournal();
        f.port.onSubmit(s -> submits.add(Map.entry(f.sink.events().size(), s)));
        kjournald = new Kjournald2(f.journal);
        return f.journal;
    }

    /** One handle dirtying home blocks {@code homes} in that order, committed; returns the tid. */
    private int commit(int... homes) {
        Journal j = f.journal;
        Handle h = j.jbd2_journal_start(WRITER, Math.max(1, homes.length), 1, 1);
        for (int i : homes) {
            j.jbd2_journal_get_write_access(h, home(i));
            j.jbd2_journal_dirty_metadata(h, home(i), block(i + 1));
        }
        int tid = h.tid();
        j.jbd2_journal_stop(h);
        j.jbd2_log_start_commit(tid, WRITER);
        assertThat(kjournald.commitNow()).hasValue(tid);
        return tid;
    }

    /** The jbd2 task's events from the one before jbd2_start_commit of {@code tid} (if any) to jbd2_end_commit. */
    private List<TraceEvent> commitEvents(int tid) {
        List<TraceEvent> all = f.sink.events().stream().filter(e -> e.comm().equals("jbd2/sda1-8")).toList();
        for (int i = 0; i < all.size(); i++) {
            TraceEvent e = all.get(i);
            if (e.event().equals("jbd2_start_commit") && e.text().contains(" transaction " + tid + " ")) {
                int from = i > 0 && all.get(i - 1).event().equals("jbd2_write_superblock") ? i - 1 : i;
                for (int k = i; k < all.size(); k++) {
                    if (all.get(k).event().equals("jbd2_end_commit")) {
                        return all.subList(from, k + 1);
                    }
                }
            }
        }
        throw new AssertionError("no commit of " + tid);
    }

    /**
     * The jbd2 task's event names from the jbd2_write_superblock or jbd2_start_commit of {@code tid} to its
     * jbd2_end_commit, with each blk_submit in between where it happened, as {@code submit} and its bios
     * ({@link #bio}).
     */
    private List<String> commitWithSubmits(int tid) {
        List<TraceEvent> all = f.sink.events();
        List<String> merged = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= all.size(); i++) {
            for (Map.Entry<Integer, BlockIo.Submit> s : submits) {
                if (s.getKey() == i) {
                    merged.add("submit " + s.getValue().bios().stream().map(BufferExposureTest::bio).toList());
                }
            }
            if (i == all.size()) {
                break;
            }
            TraceEvent e = all.get(i);
            if (!e.comm().equals("jbd2/sda1-8")) {
                continue;
            }
            if (start < 0 && (e.event().equals("jbd2_write_superblock") || e.event().equals("jbd2_start_commit"))) {
                merged.clear();
                start = i;
            }
            merged.add(e.event());
            if (start >= 0 && e.event().equals("jbd2_start_commit") && !e.text().contains(" transaction " + tid + " ")) {
                start = -1;
            }
            if (start >= 0 && e.event().equals("jbd2_end_commit")) {
                return merged;
            }
        }
        throw new AssertionError("no commit of " + tid);
    }

    /** A bio as {@code block flags...}, in filesystem blocks. */
    private static String bio(BlockIo.Bio b) {
        return b.sector() / 8 + (b.bytes() > 4096 ? "+" + b.bytes() / 4096 : "") + " " + String.join(" ", b.flags());
    }

    private static List<String> names(List<TraceEvent> events) {
        return events.stream().map(TraceEvent::event).toList();
    }

    private static List<String> lines(List<TraceEvent> events) {
        return events.stream().map(e -> e.event() + ": " + e.text()).toList();
    }

    /** The events after the log's mapping and before jbd2_run_stats. */
    private static List<String> exposure(List<TraceEvent> commit) {
        List<String> out = new ArrayList<>();
        for (TraceEvent e : commit.subList(0, names(commit).indexOf("jbd2_run_stats"))) {
            if (e.event().startsWith("block_") || e.event().startsWith("writeback_") || e.event().equals("track_foreign_dirty")) {
                out.add(e.event() + ": " + e.text());
            }
        }
        return out;
    }

    private long jiffiesNow() {
        return Jiffies.at(f.clock.traceClock().nanosSinceBoot());
    }

    @Test
    void the4xCommitDirtiesEachHomeBlockInTheReverseOfItsLoggingAndTheCleanBlockDeviceInodeJoinsTheDirtyList() {
        load(KernelProfile.V4X);
        int tid = commit(0, 1);
        List<TraceEvent> commit = commitEvents(tid);

        // a clean journal's first commit writes the log tail first (JBD2_FLUSHED, REQ_SYNC)
        assertThat(lines(commit).getFirst()).isEqualTo("jbd2_write_superblock: dev 8,1 write_flags 800");
        assertThat(names(commit).get(1)).isEqualTo("jbd2_start_commit");
        assertThat(exposure(commit)).containsExactly(
                "block_dirty_buffer: 8,1 sector=" + home(1) + " size=4096",
                "writeback_dirty_page: bdi 8:0: ino=0 index=" + home(1),
                "writeback_mark_inode_dirty: bdi 8:0: ino=0 state= flags=I_DIRTY_PAGES",
                "writeback_dirty_inode_enqueue: dev 0,2 ino 0 dirtied " + jiffiesNow() + " state I_DIRTY_PAGES mode 060000",
                "block_dirty_buffer: 8,1 sector=" + home(0) + " size=4096",
                "writeback_dirty_page: bdi 8:0: ino=0 index=" + home(0),
                "writeback_mark_inode_dirty: bdi 8:0: ino=0 state=I_DIRTY_PAGES flags=I_DIRTY_PAGES");
        List<String> all = names(commit);
        assertThat(all.subList(all.indexOf("block_dirty_buffer"), all.size()))
                .as("nothing of the log's mapping after the exposure; run_stats and end_commit close the commit")
                .doesNotContain("ext4_es_lookup_extent_enter").endsWith("jbd2_run_stats", "jbd2_end_commit");
        assertThat(all.indexOf("block_dirty_buffer")).isGreaterThan(all.lastIndexOf("ext4_es_insert_extent"));
        assertThat(commit).filteredOn(e -> e.event().startsWith("writeback_") || e.event().startsWith("block_"))
                .allSatisfy(e -> assertThat(e.traceId()).isEqualTo(WRITER.traceId()));
    }

    @Test
    void aBufferStillDirtyFromTheLastCommitTracesOnlyBlockDirtyBufferUntilTheCheckpointWritesItHome() {
        Journal j = load(KernelProfile.V4X);
        commit(0, 1);
        f.clock.advance(Duration.ofMillis(40));
        int second = commit(1, 2);
        assertThat(exposure(commitEvents(second))).containsExactly(
                "block_dirty_buffer: 8,1 sector=" + home(2) + " size=4096",
                "writeback_dirty_page: bdi 8:0: ino=0 index=" + home(2),
                "writeback_mark_inode_dirty: bdi 8:0: ino=0 state=I_DIRTY_PAGES flags=I_DIRTY_PAGES",
                "block_dirty_buffer: 8,1 sector=" + home(1) + " size=4096");

        j.checkpoint.jbd2_log_do_checkpoint(false);
        assertThat(j.bdev.isDirty(home(1))).isFalse();
        f.clock.advance(Duration.ofMillis(40));
        int third = commit(1);
        assertThat(exposure(commitEvents(third))).containsExactly(
                "block_dirty_buffer: 8,1 sector=" + home(1) + " size=4096",
                "writeback_dirty_page: bdi 8:0: ino=0 index=" + home(1),
                "writeback_mark_inode_dirty: bdi 8:0: ino=0 state= flags=I_DIRTY_PAGES",
                "writeback_dirty_inode_enqueue: dev 0,2 ino 0 dirtied " + jiffiesNow() + " state I_DIRTY_PAGES mode 060000");
    }

    @Test
    void eachForgottenBufferLeavesItsOlderTransactionBeforeItIsExposedSoDropsInterleaveWithTheExposure() {
        load(KernelProfile.V4X);
        commit(0);    // tid 2: A
        commit(1, 0); // tid 3: B, A; tid 2 empties and is dropped here
        f.sink.clear();
        int tid = commit(0, 1); // t_forget B then A: B empties nothing (tid 3 keeps A), A empties tid 3

        List<TraceEvent> commit = commitEvents(tid);
        List<String> pass = lines(commit.subList(names(commit).indexOf("block_dirty_buffer"), names(commit).indexOf("jbd2_run_stats")));
        assertThat(pass).containsExactly(
                "block_dirty_buffer: 8,1 sector=" + home(1) + " size=4096",
                "jbd2_checkpoint_stats: dev 8,1 tid 3 chp_time 0 forced_to_close 0 written 0 dropped 2",
                "jbd2_drop_transaction: dev 8,1 transaction 3 sync 0",
                "block_dirty_buffer: 8,1 sector=" + home(0) + " size=4096");
    }

    @Test
    void aBufferTheRunningTransactionDirtiedDuringTheCommitKeepsItsJbddirtyBitAndIsNotExposed() {
        f = new JournalFixture(KernelProfile.V4X);
        List<Integer> nextTid = new ArrayList<>();
        // in T_FLUSH the next transaction runs: a handle there takes home(0) again (b_next_transaction)
        f.load(JournalConfig.defaults().withBatchTime(Duration.ZERO, Duration.ZERO), (tid, inodes) -> {
            Journal j = f.journal;
            Handle h = j.jbd2_journal_start(task("other", 2), 1, 1, 2);
            j.jbd2_journal_get_write_access(h, home(0));
            j.jbd2_journal_dirty_metadata(h, home(0), block(0x40));
            nextTid.add(h.tid());
            j.jbd2_journal_stop(h);
        });
        kjournald = new Kjournald2(f.journal);
        Journal j = f.journal;
        Handle h = j.jbd2_journal_start(WRITER, 2, 2, 1);
        j.jbd2_journal_get_write_access(h, home(0));
        j.jbd2_journal_dirty_metadata(h, home(0), block(1));
        j.jbd2_journal_get_write_access(h, home(1));
        j.jbd2_journal_dirty_metadata(h, home(1), block(2));
        j.jbd2_journal_inode_ranged_write(h, 12, 0, 4096);
        int tid = h.tid();
        j.jbd2_journal_stop(h);
        j.jbd2_log_start_commit(tid, WRITER);
        assertThat(kjournald.commitNow()).hasValue(tid);

        assertThat(nextTid).containsExactly(tid + 1);
        assertThat(exposure(commitEvents(tid))).filteredOn(l -> l.startsWith("block_dirty_buffer"))
                .containsExactly("block_dirty_buffer: 8,1 sector=" + home(1) + " size=4096");
        assertThat(j.bdev.isDirty(home(0))).isFalse();

        j.jbd2_log_start_commit(tid + 1, WRITER);
        assertThat(kjournald.commitNow()).hasValue(tid + 1);
        assertThat(exposure(commitEvents(tid + 1))).first().isEqualTo("block_dirty_buffer: 8,1 sector=" + home(0) + " size=4096");
        assertThat(j.bdev.isDirty(home(0))).isTrue();
    }

    @Test
    void the6xCommitWritesTheFlushedSuperblockFirstHitsTheCachedExtentAndDirtiesFolios() {
        load(KernelProfile.V6X);
        long p = f.journalExtents().getFirst().pblk();
        int len = f.journalExtents().getFirst().len();
        int tid = commit(0, 1);
        List<TraceEvent> commit = commitEvents(tid);

        List<String> expected = new ArrayList<>(List.of("jbd2_write_superblock", "jbd2_start_commit",
                "jbd2_commit_locking", "jbd2_commit_flushing", "jbd2_commit_logging"));
        for (int i = 0; i < 4; i++) { // the descriptor, two copies, the commit block
            expected.addAll(HIT);
        }
        for (int i = 0; i < 2; i++) {
            expected.addAll(List.of("block_dirty_buffer", "writeback_dirty_folio", "track_foreign_dirty",
                    "writeback_mark_inode_dirty"));
            if (i == 0) {
                expected.add("writeback_dirty_inode_enqueue");
            }
        }
        expected.addAll(List.of("jbd2_run_stats", "jbd2_end_commit"));
        assertThat(names(commit)).containsExactlyElementsOf(expected);

        assertThat(lines(commit).getFirst()).isEqualTo("jbd2_write_superblock: dev 8,1 write_flags 9800");
        assertThat(lines(commit)).filteredOn(l -> l.startsWith("ext4_es_lookup_extent_exit"))
                .containsOnly("ext4_es_lookup_extent_exit: dev 8,1 ino 8 found 1 [0/" + len + ") " + p + " WR");
        assertThat(exposure(commit)).startsWith(
                "block_dirty_buffer: 8,1 sector=" + home(1) + " size=4096",
                "writeback_dirty_folio: bdi 8:0: ino=8388609 index=" + home(1),
                "track_foreign_dirty: bdi 8:0[1]: ino=8388609 memcg_id=1 cgroup_ino=1 page_cgroup_ino=23861",
                "writeback_mark_inode_dirty: bdi 8:0: ino=8388609 state= flags=I_DIRTY_PAGES",
                "writeback_dirty_inode_enqueue: dev 0,3 ino 8388609 dirtied " + jiffiesNow()
                        + " state I_DIRTY_PAGES mode 060000");

        f.clock.advance(Duration.ofMillis(40));
        int next = commit(2);
        assertThat(names(commitEvents(next)).getFirst()).as("the tail is on disk now").isEqualTo("jbd2_start_commit");
    }

    /**
     * 6.18's jbd2 task in the seed's first commits: the flushed journal's tail goes out alone (WSM, no flush) between
     * jbd2_write_superblock and jbd2_start_commit; the descriptor and metadata blocks go out under one plug before
     * the commit block is mapped (journal_submit_commit_record after blk_finish_plug), and the commit block last,
     * PREFLUSH|FUA.
     */
    @Test
    void the6xCommitSendsTheTailAloneAndTheLogBeforeItMapsTheCommitBlock() {
        load(KernelProfile.V6X);
        long p = f.journalExtents().getFirst().pblk();
        int first = commit(0, 1, 2, 3, 4, 5);
        f.clock.advance(Duration.ofMillis(4));
        int second = commit(0, 1, 2, 3, 5);

        List<String> firstExpected = new ArrayList<>(List.of("jbd2_write_superblock", "submit [" + p + " SYNC META]",
                "jbd2_start_commit", "jbd2_commit_locking", "jbd2_commit_flushing", "jbd2_commit_logging"));
        for (int i = 0; i < 7; i++) { // the descriptor and six copies
            firstExpected.addAll(HIT);
        }
        List<String> log = new ArrayList<>();
        for (int i = 1; i <= 7; i++) {
            log.add((p + i) + " SYNC META");
        }
        firstExpected.add("submit " + log);
        firstExpected.addAll(HIT);
        firstExpected.add("submit [" + (p + 8) + " SYNC META PREFLUSH FUA]");
        List<String> firstSeen = commitWithSubmits(first);
        assertThat(firstSeen.subList(0, firstExpected.size())).containsExactlyElementsOf(firstExpected);
        assertThat(firstSeen.subList(firstExpected.size(), firstSeen.size())).as("nothing goes to the device after")
                .noneMatch(e -> e.startsWith("submit")).endsWith("jbd2_run_stats", "jbd2_end_commit");

        List<String> secondExpected = new ArrayList<>(List.of("jbd2_start_commit", "jbd2_commit_locking",
                "jbd2_commit_flushing", "jbd2_commit_logging"));
        for (int i = 0; i < 6; i++) {
            secondExpected.addAll(HIT);
        }
        log.clear();
        for (int i = 9; i <= 14; i++) {
            log.add((p + i) + " SYNC META");
        }
        secondExpected.add("submit " + log);
        secondExpected.addAll(HIT);
        secondExpected.add("submit [" + (p + 15) + " SYNC META PREFLUSH FUA]");
        List<String> secondSeen = commitWithSubmits(second);
        assertThat(secondSeen.subList(0, secondExpected.size())).containsExactlyElementsOf(secondExpected);
        assertThat(secondSeen.subList(secondExpected.size(), secondSeen.size()))
                .noneMatch(e -> e.startsWith("submit") || e.startsWith("ext4_es"));
    }

    /**
     * The 4.x profile keeps one submission for the tail and the whole log: every log block is mapped first, and the
     * tail's flush becomes the descriptor's PREFLUSH.
     */
    @Test
    void the4xCommitMapsEveryLogBlockBeforeOneSubmissionOfTheTailAndTheLog() {
        load(KernelProfile.V4X);
        long p = f.journalExtents().getFirst().pblk();
        int tid = commit(0, 1);

        List<String> seen = commitWithSubmits(tid);
        int submitted = seen.indexOf(seen.stream().filter(e -> e.startsWith("submit")).findFirst().orElseThrow());
        assertThat(seen.subList(0, submitted)).as("the descriptor, two copies and the commit block mapped first")
                .filteredOn(e -> e.equals("ext4_es_lookup_extent_enter")).hasSize(4);
        assertThat(seen.subList(submitted, seen.size())).doesNotContain("ext4_es_lookup_extent_enter");
        assertThat(seen).filteredOn(e -> e.startsWith("submit")).containsExactly("submit [" + p + " SYNC META, "
                + (p + 1) + " SYNC META PREFLUSH, " + (p + 2) + " SYNC META, " + (p + 3) + " SYNC META, " + (p + 4)
                + " SYNC META PREFLUSH FUA]");
    }

    /**
     * The seed's first two commits on 6.18 (the capture's jbd2 task, without the block layer's request events and
     * with the enqueue its writeback filter dropped): the create and O_SYNC write log six blocks, the fsync's commit
     * five of them again, still dirty.
     */
    @Test
    void the6xSeedCommitsFollowTheCapturesJbd2Task() {
        load(KernelProfile.V6X);
        int first = commit(0, 1, 2, 3, 4, 5);
        f.clock.advance(Duration.ofMillis(4));
        int second = commit(0, 1, 2, 3, 5);

        List<String> firstExpected = new ArrayList<>(List.of("jbd2_write_superblock", "jbd2_start_commit",
                "jbd2_commit_locking", "jbd2_commit_flushing", "jbd2_commit_logging"));
        for (int i = 0; i < 8; i++) {
            firstExpected.addAll(HIT);
        }
        for (int i = 0; i < 6; i++) {
            firstExpected.addAll(List.of("block_dirty_buffer", "writeback_dirty_folio", "track_foreign_dirty",
                    "writeback_mark_inode_dirty"));
            if (i == 0) {
                firstExpected.add("writeback_dirty_inode_enqueue");
            }
        }
        firstExpected.addAll(List.of("jbd2_run_stats", "jbd2_end_commit"));
        assertThat(names(commitEvents(first))).containsExactlyElementsOf(firstExpected);

        List<String> secondExpected = new ArrayList<>(List.of("jbd2_start_commit", "jbd2_commit_locking",
                "jbd2_commit_flushing", "jbd2_commit_logging"));
        for (int i = 0; i < 7; i++) {
            secondExpected.addAll(HIT);
        }
        for (int i = 0; i < 5; i++) {
            secondExpected.add("block_dirty_buffer");
        }
        secondExpected.addAll(List.of("jbd2_run_stats", "jbd2_end_commit"));
        assertThat(names(commitEvents(second))).containsExactlyElementsOf(secondExpected);
        assertThat(lines(commitEvents(second))).filteredOn(l -> l.startsWith("block_dirty_buffer")).containsExactly(
                "block_dirty_buffer: 8,1 sector=" + home(5) + " size=4096",
                "block_dirty_buffer: 8,1 sector=" + home(3) + " size=4096",
                "block_dirty_buffer: 8,1 sector=" + home(2) + " size=4096",
                "block_dirty_buffer: 8,1 sector=" + home(1) + " size=4096",
                "block_dirty_buffer: 8,1 sector=" + home(0) + " size=4096");
    }
}
