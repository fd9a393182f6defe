package dev.ext4sim.jbd2.journal;

import static dev.ext4sim.jbd2.testing.JournalFixture.block;
import static dev.ext4sim.jbd2.testing.JournalFixture.home;
import static dev.ext4sim.jbd2.testing.JournalFixture.task;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.jbd2.testing.JournalFixture;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The 6.x profile: the flusher writes the buffers a commit exposed (blkdev_writepages in the kworker's task), and the
 * next commit drops the transaction whose checkpoint list is then clean, writing nothing itself.
 */
class BdevWritebackTest {
    private static final TraceContext WRITER = task("demo", 1394);
    private static final TraceContext KWORKER = task("kworker/u16:2", 89);
    private static final BdevWbc KUPDATE = new BdevWbc(0, 1024, true, false, true, 0, Long.MAX_VALUE);

    private final JournalFixture f = new JournalFixture(KernelProfile.V6X).load();
    private final Kjournald2 kjournald = new Kjournald2(f.journal);

    private Handle dirty(int... homes) {
        Handle h = f.journal.jbd2_journal_start(WRITER, Math.max(1, homes.length), 1, 1);
        for (int i : homes) {
            f.journal.jbd2_journal_get_write_access(h, home(i));
            f.journal.jbd2_journal_dirty_metadata(h, home(i), block(i + 1));
        }
        return h;
    }

    private int commit(int... homes) {
        Handle h = dirty(homes);
        int tid = h.tid();
        f.journal.jbd2_journal_stop(h);
        f.journal.jbd2_log_start_commit(tid, WRITER);
        assertThat(kjournald.commitNow()).hasValue(tid);
        return tid;
    }

    private byte[] onDisk(int i) {
        byte[] b = new byte[4096];
        f.disk.read(home(i), b);
        return b;
    }

    private List<String> names(String comm) {
        return f.sink.events().stream().filter(e -> e.comm().equals(comm)).map(TraceEvent::event).toList();
    }

    @Test
    void theFlusherWritesTheExposedBuffersHomeAndTheNextCommitDropsTheCleanTransaction() {
        int first = commit(1, 2);
        assertThat(f.journal.bdev.isDirty(home(1))).isTrue();
        assertThat(onDisk(1)).isNotEqualTo(block(2));
        f.sink.clear();

        Journal.BdevWritten w = f.journal.blkdev_writepages(KWORKER, KUPDATE);

        assertThat(w).isEqualTo(new Journal.BdevWritten(2, false, 0));
        assertThat(names("kworker/u16:2")).containsExactly("wbc_writepage", "wbc_writepage");
        assertThat(f.sink.events("wbc_writepage").stream().map(TraceEvent::text).toList()).containsExactly(
                "bdi 8:0: towrt=1024 skip=0 mode=0 kupd=1 bgrd=0 cyclic=1 start=0x0 end=0x7fffffffffffffff cgroup_ino=1",
                "bdi 8:0: towrt=1023 skip=0 mode=0 kupd=1 bgrd=0 cyclic=1 start=0x0 end=0x7fffffffffffffff cgroup_ino=1");
        assertThat(onDisk(1)).isEqualTo(block(2));
        assertThat(onDisk(2)).isEqualTo(block(3));
        assertThat(f.journal.bdev.isDirty(home(1))).isFalse();
        assertThat(f.journal.bdev.hasDirtyPages()).isFalse();
        f.sink.clear();

        int second = commit(3);

        List<String> jbd2 = names("jbd2/sda1-8");
        assertThat(jbd2.subList(0, 5)).containsExactly("jbd2_start_commit", "jbd2_commit_locking",
                "jbd2_checkpoint_stats", "jbd2_drop_transaction", "jbd2_commit_flushing");
        assertThat(f.sink.events("jbd2_checkpoint_stats").getFirst().text())
                .isEqualTo("dev 8,1 tid " + first + " chp_time 0 forced_to_close 0 written 0 dropped 0");
        assertThat(jbd2).doesNotContain("jbd2_checkpoint");
        assertThat(second).isEqualTo(first + 1);
    }

    @Test
    void aPageWhoseBufferARunningTransactionJournalsAgainCountsButIsNotWritten() {
        commit(1, 2);
        Handle running = dirty(1);

        Journal.BdevWritten w = f.journal.blkdev_writepages(KWORKER, KUPDATE);

        assertThat(w.pagesWritten()).isEqualTo(2);
        assertThat(onDisk(1)).as("do_get_write_access cleared BH_Dirty").isNotEqualTo(block(2));
        assertThat(onDisk(2)).isEqualTo(block(3));
        f.journal.jbd2_journal_stop(running);
        f.sink.clear();
        f.journal.jbd2_log_start_commit(running.tid(), WRITER);
        assertThat(kjournald.commitNow()).hasValue(running.tid());
        // the clean-list scan stops at block 1 (this commit journals it); the t_forget pass takes it and drops
        assertThat(names("jbd2/sda1-8")).containsSubsequence("jbd2_commit_locking", "jbd2_commit_flushing",
                "jbd2_checkpoint_stats", "jbd2_drop_transaction", "jbd2_end_commit");
        assertThat(f.sink.events("jbd2_checkpoint_stats").getFirst().text()).endsWith("written 0 dropped 1");
        assertThat(f.journal.bdev.isDirty(home(1))).as("exposed again by the new commit").isTrue();
    }

    @Test
    void noTimedCheckpointIn6x() {
        commit(1);
        f.clock.advance(f.journal.config().checkpointAge().multipliedBy(2));
        assertThat(f.journal.checkpointDue).isFalse();
    }
}
