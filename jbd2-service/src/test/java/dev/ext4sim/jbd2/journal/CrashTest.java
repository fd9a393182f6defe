package dev.ext4sim.jbd2.journal;

import static dev.ext4sim.jbd2.testing.JournalFixture.block;
import static dev.ext4sim.jbd2.testing.JournalFixture.home;
import static dev.ext4sim.jbd2.testing.JournalFixture.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.jbd2.testing.JournalFixture;
import org.junit.jupiter.api.Test;

/**
 * The process dies in the middle of a commit: the device holds part of the log writes. Loading the journal again
 * replays every committed transaction and discards the torn one.
 */
class CrashTest {
    private final JournalFixture f = new JournalFixture();

    private Handle write(Journal j, int tid, int... blocksAndFills) {
        return handle(j, tid, blocksAndFills);
    }

    private static Handle handle(Journal j, int tid, int... blocksAndFills) {
        Handle h = j.jbd2_journal_start(task("w", 1), Math.max(1, blocksAndFills.length / 2), 1, 1);
        assertThat(h.tid()).isEqualTo(tid);
        for (int i = 0; i < blocksAndFills.length; i += 2) {
            long b = home(blocksAndFills[i]);
            j.jbd2_journal_get_write_access(h, b);
            j.jbd2_journal_dirty_metadata(h, b, block(blocksAndFills[i + 1]));
        }
        j.jbd2_journal_stop(h);
        j.jbd2_log_start_commit(tid, task("w", 1));
        return h;
    }

    /**
     * tid 2 logs A and B, tid 3 logs A again and so drops tid 2's A from its checkpoint list: whatever bio the power
     * fails at, in tid 3's commit or in the checkpoint after it, recovery leaves the newest committed A, and once tid
     * 3 committed, tid 2's A never reaches home, not even through the replay.
     */
    @Test
    void aCrashAnywhereAfterANewerCommitTookABlockOverLeavesTheNewestCommittedCopy() {
        boolean ranClean = false;
        for (int bios = 0; !ranClean; bios++) {
            assertThat(bios).as("bios before the power cut").isLessThan(64);
            JournalFixture fx = new JournalFixture();
            fx.load();
            fx.checkHomesOutsideJournal();
            Kjournald2 k = new Kjournald2(fx.journal);
            handle(fx.journal, 2, 0, 0xA2, 1, 0xB2);
            k.commitNow();
            handle(fx.journal, 3, 0, 0xA3);
            fx.port.crashAfter(bios);
            boolean committed = false;
            try {
                k.commitNow();
                committed = true;
                assertThat(fx.lines("jbd2_drop_transaction")).isEmpty(); // tid 2 still holds B
                fx.journal.jbd2_journal_flush(task("sync", 9));
                ranClean = true;
            } catch (ErrnoException e) {
                assertThat(fx.journal.isAborted()).isTrue();
            }

            fx.port.crashAfter(-1);
            fx.load();
            assertThat(fx.disk.read(home(0))).as("A after a power cut at bio %d", bios)
                    .isEqualTo(block(committed ? 0xA3 : 0xA2));
            assertThat(fx.disk.read(home(1))).as("B after a power cut at bio %d", bios).isEqualTo(block(0xB2));
            if (committed) {
                assertThat(fx.port.writes(home(0))).as("A's copies sent home, power cut at bio %d", bios)
                        .allSatisfy(b -> assertThat(b).isEqualTo(block(0xA3)));
            }
        }
    }

    @Test
    void aTornCommitIsDiscardedAndCommittedOnesReplay() {
        f.load();
        f.checkHomesOutsideJournal();
        Kjournald2 k = new Kjournald2(f.journal);
        write(f.journal, 2, 0, 0x21, 1, 0x22);
        k.commitNow();
        write(f.journal, 3, 1, 0x31, 2, 0x32);
        k.commitNow();
        // a revoke in a committed transaction: block 0's journaled copy from tid 2 must not be replayed
        Handle h = f.journal.jbd2_journal_start(task("w", 1), 1, 1, 1);
        f.journal.jbd2_journal_revoke(h, home(0));
        f.journal.jbd2_journal_stop(h);
        f.journal.jbd2_log_start_commit(4, task("w", 1));
        k.commitNow();
        write(f.journal, 5, 2, 0x52, 3, 0x53);
        f.port.crashAfter(2); // descriptor and one block of tid 5 reach the disk, never its commit block
        assertThatThrownBy(k::commitNow).isInstanceOf(ErrnoException.class);
        assertThat(f.journal.isAborted()).isTrue();
        assertThatThrownBy(() -> f.journal.jbd2_journal_start(task("w", 1), 1, 1, 1))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("aborted");
        assertThat(f.disk.read(home(1))).isNotEqualTo(block(0x31)); // nothing checkpointed yet

        f.port.crashAfter(-1); // power back
        f.load(); // a new jbd2-service: ext4_load_journal recovers through blockdev
        var recovered = f.mounted.recovered().orElseThrow();
        assertThat(recovered.startTid()).isEqualTo(2);
        assertThat(recovered.endTid()).isEqualTo(5); // tid 5 had no commit block
        assertThat(f.disk.read(home(0))).isEqualTo(new byte[4096]); // revoked by tid 4
        assertThat(f.disk.read(home(1))).isEqualTo(block(0x31));
        assertThat(f.disk.read(home(2))).isEqualTo(block(0x32)); // tid 3's, not the torn tid 5's
        assertThat(f.disk.read(home(3))).isEqualTo(new byte[4096]);
        // and the journal goes on after the recovered log (s_sequence = end + 1 = 6; the writer starts at 7)
        Kjournald2 k2 = new Kjournald2(f.journal);
        write(f.journal, 7, 3, 0x63);
        k2.commitNow();
        assertThat(f.journal.commitSequence()).isEqualTo(7);
    }

    /**
     * data=journal's ext4_forget: a block dirtied and freed in the same transaction is not logged, and a block freed
     * after an older transaction logged it gets no revoke record, so recovery still replays that older copy (harmless:
     * the block is free, and any later use of it is logged after).
     */
    @Test
    void aForgottenBlockIsNotLoggedAndRevokesNothing() {
        f.load();
        Kjournald2 k = new Kjournald2(f.journal);
        write(f.journal, 2, 0, 0x21);
        k.commitNow();
        Handle h = f.journal.jbd2_journal_start(task("w", 1), 2, 1, 1);
        f.journal.jbd2_journal_get_write_access(h, home(1));
        f.journal.jbd2_journal_dirty_metadata(h, home(1), block(0x31));
        f.journal.jbd2_journal_get_write_access(h, home(2));
        f.journal.jbd2_journal_dirty_metadata(h, home(2), block(0x32));
        int credits = h.credits;
        f.journal.jbd2_journal_forget(h, home(1));
        f.journal.jbd2_journal_forget(h, home(0));
        assertThat(h.credits).isEqualTo(credits + 1); // only the block this transaction held gives its credit back
        f.journal.jbd2_journal_stop(h);
        f.journal.jbd2_log_start_commit(3, task("w", 1));
        k.commitNow();

        f.port.crashAfter(-1);
        f.load();
        assertThat(f.disk.read(home(0))).isEqualTo(block(0x21)); // no revoke record hides tid 2's copy
        assertThat(f.disk.read(home(1))).isEqualTo(new byte[4096]); // never logged
        assertThat(f.disk.read(home(2))).isEqualTo(block(0x32));
    }
}
