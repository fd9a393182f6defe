package dev.ext4sim.ondisk.jbd2;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JournalWriterTest {
    private final Random rnd = new Random(7);

    private List<MetadataBlock> blocks(long from, int n) {
        List<MetadataBlock> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new MetadataBlock(from + i, JournalImages.randomBlock(rnd, 4096)));
        }
        return out;
    }

    private static Transaction tx(List<MetadataBlock> blocks, List<Long> revoked, long sec) {
        return new Transaction(blocks, revoked, sec, 0);
    }

    @Test
    void openSetsTheKernelFeaturesAndCommitsInTheKernelsOrder() {
        MemoryJournal j = new MemoryJournal(64);
        JournalWriter w = JournalWriter.open(j, JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
        JournalSuperblock sb = j.superblock();
        assertThat(sb.featureIncompat()).isEqualTo(0x13);
        assertThat(sb.checksumType()).isEqualTo(4);
        assertThat(sb.start()).isZero();
        j.log.clear();

        CommittedTransaction c = w.commit(tx(blocks(10, 2), List.of(99L), 100));

        // Tail written and flushed first (s_start was 0), then revoke, descriptor, data, PREFLUSH, commit, FUA.
        assertThat(j.log).containsExactly("sb@0", "flush", "revoke@1", "desc@2", "data@3", "data@4", "flush", "commit@5", "flush");
        assertThat(c).isEqualTo(new CommittedTransaction(2, 1, 5, 5, 1, 1));
        assertThat(j.superblock().start()).isEqualTo(1);
        assertThat(j.superblock().sequence()).isEqualTo(2);
        j.log.clear();

        w.commit(tx(blocks(20, 1), List.of(), 101));
        assertThat(j.log).containsExactly("desc@6", "data@7", "flush", "commit@8", "flush");
    }

    @Test
    void withoutBarrierTheCommitBlockIsStillWrittenLast() {
        MemoryJournal j = new MemoryJournal(64);
        JournalWriter w = JournalWriter.open(j, JournalFeatures.incompatFor(false, false), WriteBarrier.OFF);
        assertThat(j.superblock().featureIncompat()).isEqualTo(JournalFeatures.INCOMPAT_REVOKE);
        w.commit(tx(blocks(10, 1), List.of(), 1));
        j.log.clear();
        w.commit(tx(blocks(10, 2), List.of(), 2));
        assertThat(j.log).containsExactly("desc@4", "data@5", "data@6", "commit@7");
    }

    @Test
    void aTransactionThatDoesNotFitIsRefusedAndNothingIsWritten() {
        MemoryJournal j = new MemoryJournal(32); // 31 log blocks
        JournalWriter w = JournalWriter.open(j, JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
        w.commit(tx(blocks(10, 20), List.of(), 1)); // 22 blocks
        assertThat(w.freeBlocks()).isEqualTo(9);
        j.log.clear();

        assertThatThrownBy(() -> w.commit(tx(blocks(40, 8), List.of(), 2)))
                .isInstanceOf(JournalFullException.class)
                .hasMessageContaining("needs 10 log blocks but only 9 of 31 are free; checkpoint first");
        assertThat(j.log).isEmpty();
        assertThat(w.nextTid()).isEqualTo(3);
        assertThatThrownBy(() -> w.commit(tx(blocks(40, 40), List.of(), 2)))
                .hasMessageContaining("more than the whole log");
    }

    @Test
    void checkpointWritesHomeFlushesThenMovesTheTailAndTheLogWraps() {
        MemoryJournal j = new MemoryJournal(32);
        JournalWriter w = JournalWriter.open(j, JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
        List<MetadataBlock> first = blocks(10, 20);
        w.commit(tx(first, List.of(), 1));
        w.commit(tx(blocks(100, 2), List.of(15L), 2)); // block 15 freed: not written home
        j.log.clear();

        assertThat(w.checkpoint()).isEqualTo(21);

        assertThat(j.log.subList(j.log.size() - 3, j.log.size())).containsExactly("flush", "sb@0", "flush");
        assertThat(j.log.stream().filter(s -> s.startsWith("home@")).count()).isEqualTo(21);
        assertThat(j.log).doesNotContain("home@15");
        assertThat(j.home(10)).isEqualTo(first.get(0).data());
        assertThat(j.superblock().start()).isEqualTo(28); // 22 + 5 blocks after s_first
        assertThat(j.superblock().sequence()).isEqualTo(4);
        assertThat(w.freeBlocks()).isEqualTo(31);

        // 28 + 10 blocks crosses s_maxlen (32): the transaction continues at s_first.
        CommittedTransaction c = w.commit(tx(blocks(200, 8), List.of(), 3));
        assertThat(c.startBlock()).isEqualTo(28);
        assertThat(c.commitBlock()).isEqualTo(6);
        assertThat(w.head()).isEqualTo(7);

        RecoveryResult r = Recovery.recover(j, RecoveryFlag.NONE);
        assertThat(r.transactionsReplayed()).isEqualTo(1);
        assertThat(r.blocksReplayed()).isEqualTo(8);
    }

    @Test
    void shutdownEmptiesTheJournalAndTheNextOpenContinuesTheTids() {
        MemoryJournal j = new MemoryJournal(64);
        JournalWriter w = JournalWriter.open(j, JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
        List<MetadataBlock> b = blocks(10, 3);
        w.commit(tx(b, List.of(), 1));
        w.commit(tx(blocks(20, 1), List.of(), 2));
        w.shutdown();
        assertThat(j.superblock().start()).isZero();
        assertThat(j.superblock().sequence()).isEqualTo(4);
        assertThat(j.home(12)).isEqualTo(b.get(2).data());
        assertThatThrownBy(() -> w.commit(tx(blocks(30, 1), List.of(), 3))).isInstanceOf(IllegalStateException.class);

        JournalWriter again = JournalWriter.open(j, JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
        assertThat(again.nextTid()).isEqualTo(5);
        assertThat(again.head()).isEqualTo(1);
    }

    @Test
    void aJournalThatNeedsRecoveryIsNotOpenedForWriting() {
        MemoryJournal j = new MemoryJournal(64);
        JournalWriter.open(j, JournalFeatures.incompatFor(true, true), WriteBarrier.ON).commit(tx(blocks(10, 1), List.of(), 1));
        assertThatThrownBy(() -> JournalWriter.open(j, JournalFeatures.incompatFor(true, true), WriteBarrier.ON))
                .hasMessageContaining("needs recovery");
    }

    @Test
    void transactionsRejectContradictions() {
        byte[] d = new byte[4096];
        assertThatThrownBy(() -> tx(List.of(new MetadataBlock(5, d), new MetadataBlock(5, d)), List.of(), 1))
                .hasMessageContaining("journaled twice");
        assertThatThrownBy(() -> tx(List.of(new MetadataBlock(5, d)), List.of(5L), 1))
                .hasMessageContaining("both journaled and revoked");
    }

    @Test
    void theCrashPointsAreWhereTheirNamesSay() {
        MemoryJournal j = new MemoryJournal(64);
        JournalWriter w = JournalWriter.open(j, JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
        w.setPoints(j.log::add);
        j.log.clear();

        w.commit(tx(blocks(10, 4), List.of(), 100));
        // the tail's superblock write, then half the log (the descriptor and a metadata block) before T_COMMIT's point
        assertThat(j.log).containsExactly(JournalWriter.WRITE_SUPERBLOCK, "sb@0", "flush", "desc@1", "data@2",
                JournalWriter.COMMIT_LOGGING, "data@3", "data@4", "data@5", "flush", "commit@6", "flush");
        j.log.clear();

        w.checkpoint();
        int home = j.log.indexOf(JournalWriter.CHECKPOINT_WRITTEN_HOME);
        assertThat(j.log.subList(0, home)).as("every block home and flushed before the point")
                .hasSize(5).last().isEqualTo("flush");
        assertThat(j.log.subList(home, j.log.size())).startsWith(JournalWriter.CHECKPOINT_WRITTEN_HOME,
                JournalWriter.WRITE_SUPERBLOCK, "sb@0");
    }
}
