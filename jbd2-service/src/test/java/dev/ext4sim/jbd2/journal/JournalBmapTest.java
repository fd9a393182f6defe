package dev.ext4sim.jbd2.journal;

import static dev.ext4sim.jbd2.testing.JournalFixture.block;
import static dev.ext4sim.jbd2.testing.JournalFixture.home;
import static dev.ext4sim.jbd2.testing.JournalFixture.task;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.jbd2.testing.JournalFixture;
import dev.ext4sim.ondisk.ext4.Extent;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * kjournald2 maps every log block through the journal inode (jbd2_journal_next_log_block > jbd2_journal_bmap >
 * ext4_map_blocks on inode 8) and traces ext4's extent-status lookups and, on a miss, ext4_ext_map_blocks.
 */
class JournalBmapTest {
    private static final List<String> MISS = List.of("ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "ext4_ext_map_blocks_enter", "ext4_ext_show_extent", "ext4_ext_map_blocks_exit", "ext4_es_insert_extent");
    private static final List<String> HIT = List.of("ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit");
    /** The t_forget pass's mark_buffer_dirty of one buffer while the block device inode is clean. */
    private static final List<String> EXPOSED_CLEAN = List.of("block_dirty_buffer", "writeback_dirty_page",
            "writeback_mark_inode_dirty", "writeback_dirty_inode_enqueue");

    private final JournalFixture f = new JournalFixture();
    private Kjournald2 kjournald;
    /** Where inode 8's only extent starts on the device. */
    private long p;
    private int journalBlocks;

    @BeforeEach
    void load() {
        f.load();
        f.checkHomesOutsideJournal();
        kjournald = new Kjournald2(f.journal);
        List<Extent> extents = f.journalExtents();
        assertThat(extents).hasSize(1);
        p = extents.getFirst().pblk();
        journalBlocks = extents.getFirst().len();
    }

    private int commit(TraceContext who, int... blocksAndFills) {
        Journal j = f.journal;
        Handle h = j.jbd2_journal_start(who, Math.max(1, blocksAndFills.length / 2), 1, 1);
        for (int i = 0; i < blocksAndFills.length; i += 2) {
            long b = home(blocksAndFills[i]);
            j.jbd2_journal_get_write_access(h, b);
            j.jbd2_journal_dirty_metadata(h, b, block(blocksAndFills[i + 1]));
        }
        int tid = h.tid();
        j.jbd2_journal_stop(h);
        j.jbd2_log_start_commit(tid, who);
        assertThat(kjournald.commitNow()).hasValue(tid);
        return tid;
    }

    /** The jbd2 task's events of the commit of {@code tid}, from jbd2_start_commit to jbd2_end_commit. */
    private List<TraceEvent> commitEvents(int tid) {
        List<TraceEvent> all = f.sink.events().stream().filter(e -> e.comm().equals("jbd2/sda1-8")).toList();
        int from = -1;
        for (int i = 0; i < all.size(); i++) {
            TraceEvent e = all.get(i);
            if (e.event().equals("jbd2_start_commit") && e.text().contains(" transaction " + tid + " ")) {
                from = i;
            }
            if (from >= 0 && e.event().equals("jbd2_end_commit")) {
                return all.subList(from, i + 1);
            }
        }
        throw new AssertionError("no commit of " + tid);
    }

    private static List<String> names(List<TraceEvent> events) {
        return events.stream().map(TraceEvent::event).toList();
    }

    private static List<String> texts(List<TraceEvent> events, String event) {
        return events.stream().filter(e -> e.event().equals(event)).map(TraceEvent::text).toList();
    }

    private static int blocksLogged(List<TraceEvent> commit) {
        Matcher m = Pattern.compile("blocks_logged (\\d+)").matcher(texts(commit, "jbd2_run_stats").getFirst());
        assertThat(m.find()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    /** The log's mapping: the events from jbd2_commit_logging to the first of the t_forget pass. */
    private static List<String> logMapping(List<String> names) {
        int from = names.indexOf("jbd2_commit_logging") + 1;
        int to = from;
        while (names.get(to).startsWith("ext4_")) {
            to++;
        }
        return names.subList(from, to);
    }

    private static List<String> repeat(List<String> group, int n) {
        return java.util.Collections.nCopies(n, group).stream().flatMap(List::stream).toList();
    }

    @Test
    void eachLogBlockOfACommitIsMappedThroughInode8AsALookupMissThenTheExtentTree() {
        TraceContext writer = task("demo", 1234);
        int tid = commit(writer, 0, 0x11);

        List<TraceEvent> commit = commitEvents(tid);
        // a fresh journal: the descriptor (1), the copy (2) and the commit block (3), each a miss
        assertThat(blocksLogged(commit)).isEqualTo(3);
        List<String> expected = new java.util.ArrayList<>(List.of("jbd2_start_commit", "jbd2_commit_locking",
                "jbd2_commit_flushing", "jbd2_commit_logging"));
        expected.addAll(repeat(MISS, 3));
        expected.addAll(EXPOSED_CLEAN);
        expected.addAll(List.of("jbd2_run_stats", "jbd2_end_commit"));
        assertThat(names(commit)).containsExactlyElementsOf(expected);

        assertThat(texts(commit, "ext4_es_lookup_extent_enter")).containsExactly(
                "dev 8,1 ino 8 lblk 1", "dev 8,1 ino 8 lblk 2", "dev 8,1 ino 8 lblk 3");
        assertThat(texts(commit, "ext4_es_lookup_extent_exit")).containsOnly("dev 8,1 ino 8 found 0 [0/0) 0 ");
        assertThat(texts(commit, "ext4_ext_map_blocks_enter")).containsExactly(
                "dev 8,1 ino 8 lblk 1 len 1 flags ", "dev 8,1 ino 8 lblk 2 len 1 flags ", "dev 8,1 ino 8 lblk 3 len 1 flags ");
        assertThat(texts(commit, "ext4_ext_show_extent")).containsOnly(
                "dev 8,1 ino 8 lblk 0 pblk " + p + " len " + journalBlocks);
        assertThat(texts(commit, "ext4_ext_map_blocks_exit")).containsExactly(
                "dev 8,1 ino 8 flags  lblk 1 pblk " + (p + 1) + " len 1 mflags M ret 1",
                "dev 8,1 ino 8 flags  lblk 2 pblk " + (p + 2) + " len 1 mflags M ret 1",
                "dev 8,1 ino 8 flags  lblk 3 pblk " + (p + 3) + " len 1 mflags M ret 1");
        assertThat(texts(commit, "ext4_es_insert_extent")).containsExactly(
                "dev 8,1 ino 8 es [1/1) mapped " + (p + 1) + " status W",
                "dev 8,1 ino 8 es [2/1) mapped " + (p + 2) + " status W",
                "dev 8,1 ino 8 es [3/1) mapped " + (p + 3) + " status W");
        assertThat(commit).filteredOn(e -> e.system().equals("ext4"))
                .allSatisfy(e -> assertThat(e.traceId()).isEqualTo(writer.traceId()));
        // block 0 from jbd2_journal_init_inode and the three joined into one extent
        assertThat(f.journal.bmap.extentStatus()).isEqualTo("[0/4) " + p + " W");
    }

    @Test
    void revokeBlocksAreMappedBeforeTheLoggingPhaseAndTheCommitBlockLast() {
        commit(task("w", 1), 0, 0x20); // log blocks 1-3
        Journal j = f.journal;
        Handle h = j.jbd2_journal_start(task("w", 1), 2, 1, 1);
        j.jbd2_journal_revoke(h, home(7));
        j.jbd2_journal_get_write_access(h, home(1));
        j.jbd2_journal_dirty_metadata(h, home(1), block(0x31));
        int tid = h.tid();
        j.jbd2_journal_stop(h);
        j.jbd2_log_start_commit(tid, task("w", 1));
        kjournald.commitNow();

        List<TraceEvent> commit = commitEvents(tid);
        List<String> names = names(commit);
        assertThat(blocksLogged(commit)).isEqualTo(4); // revoke, descriptor, copy, commit
        int logging = names.indexOf("jbd2_commit_logging");
        assertThat(names.subList(names.indexOf("jbd2_commit_flushing") + 1, logging)).containsExactlyElementsOf(MISS);
        assertThat(logMapping(names)).containsExactlyElementsOf(repeat(MISS, 3));
        assertThat(texts(commit, "ext4_es_lookup_extent_enter")).containsExactly(
                "dev 8,1 ino 8 lblk 4", "dev 8,1 ino 8 lblk 5", "dev 8,1 ino 8 lblk 6", "dev 8,1 ino 8 lblk 7");
    }

    @Test
    void afterTheLogWrapsEveryLookupHitsTheMergedExtentAndTheHitMarksItReferenced() {
        Journal j = f.journal;
        int perTx = j.maxTransactionBuffers();
        int tid = 0;
        // fill the log until it wraps: every block from s_first to the end is mapped once, by a miss
        while (f.sink.events("ext4_es_insert_extent").size() < journalBlocks - 1) {
            int[] args = new int[perTx * 2];
            for (int i = 0; i < perTx; i++) {
                args[2 * i] = i;
                args[2 * i + 1] = tid + 1;
            }
            tid = commit(task("w", 1), args);
            if (j.checkpoint.lowOnSpace()) {
                j.checkpoint.jbd2_log_do_checkpoint(true);
            }
        }
        assertThat(f.sink.events("ext4_es_insert_extent")).hasSize(journalBlocks - 1);
        // one extent; referenced already if the commit that wrapped hit it
        assertThat(j.bmap.extentStatus()).matches(Pattern.quote("[0/" + journalBlocks + ") " + p + " W") + "R?");
        f.sink.clear();

        tid = commit(task("w", 1), 0, 0x77);
        List<TraceEvent> commit = commitEvents(tid);
        int logged = blocksLogged(commit);
        List<String> names = names(commit);
        assertThat(logMapping(names)).containsExactlyElementsOf(repeat(HIT, logged));
        String extent = "[0/" + journalBlocks + ") " + p + " ";
        List<String> exits = texts(commit, "ext4_es_lookup_extent_exit");
        // whether the first hit ever was in this commit or the last one, every hit after it prints the referenced bit
        assertThat(exits.getLast()).isEqualTo("dev 8,1 ino 8 found 1 " + extent + "W0x10");
        assertThat(exits).allMatch(t -> t.equals("dev 8,1 ino 8 found 1 " + extent + "W")
                || t.equals("dev 8,1 ino 8 found 1 " + extent + "W0x10"));
        assertThat(j.bmap.extentStatus()).isEqualTo("[0/" + journalBlocks + ") " + p + " WR");
    }

    @Test
    void theFirstHitPrintsTheExtentAsItWasAndLaterHitsItsReferencedBit() {
        JournalExtentStatus es = new JournalExtentStatus();
        es.insertWritten(0, 1, 100);
        es.insertWritten(2, 1, 102);
        assertThat(es.toString()).isEqualTo("[0/1) 100 W [2/1) 102 W");
        assertThat(es.lookup(2)).isEqualTo(new JournalExtentStatus.Found(2, 1, 102, Ext4MapTrace.ES_WRITTEN));
        es.insertWritten(1, 1, 101); // joins both neighbours, keeping the right one's referenced bit
        assertThat(es.toString()).isEqualTo("[0/3) 100 WR");
        assertThat(es.lookup(1)).isEqualTo(new JournalExtentStatus.Found(0, 3, 100, 0x11));
        es.insertWritten(3, 1, 200); // not physically contiguous: an extent of its own
        assertThat(es.toString()).isEqualTo("[0/3) 100 WR [3/1) 200 W");
        assertThat(es.lookup(4)).isNull();
    }

    @Test
    void theRecoveryOfTheLoadMappedTheLogItReadSoTheNextCommitHits() {
        commit(task("w", 1), 0, 0x21); // tid 2 in log blocks 1-3, never checkpointed
        f.load(); // recovery: SCAN reads 1, 3 and 4 (the end), REVOKE 1 and 3, REPLAY 1, 2 and 3
        assertThat(f.mounted.recovered()).isPresent();
        assertThat(f.journal.bmap.extentStatus()).isEqualTo("[0/5) " + p + " WR");
        kjournald = new Kjournald2(f.journal);
        f.sink.clear();

        int tid = commit(task("w", 1), 1, 0x31); // journal_reset put the head back at s_first
        List<TraceEvent> commit = commitEvents(tid);
        assertThat(texts(commit, "ext4_es_lookup_extent_enter")).containsExactly(
                "dev 8,1 ino 8 lblk 1", "dev 8,1 ino 8 lblk 2", "dev 8,1 ino 8 lblk 3");
        assertThat(texts(commit, "ext4_es_lookup_extent_exit")).containsOnly("dev 8,1 ino 8 found 1 [0/5) " + p + " W0x10");
        assertThat(texts(commit, "ext4_ext_map_blocks_enter")).isEmpty();
    }
}
