package dev.ext4sim.jbd2.journal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcInfoTest {
    private final JournalConfig hz250 = JournalConfig.defaults();

    @Test
    void rendersTheKernelsTextWithJiffiesAveragedFirst() {
        // ondisk-jbd2.md §12's example: 12 commits, 3 requested, HZ 250 (sums in jiffies)
        var s = new JournalStats.Snapshot(12, 3, 0, 3, 1218 * 12 + 11, 0, 0, 2 * 12 + 5, 60, 72, 108, 6_125_000);
        assertThat(ProcInfo.render(s, 8192, hz250)).isEqualTo("""
                12 transactions (3 requested), each up to 8192 blocks
                average:\s
                  0ms waiting for transaction
                  4ms request delay
                  4872ms running transaction
                  0ms transaction was being locked
                  0ms flushing data (in ordered mode)
                  8ms logging transaction
                  6125us average transaction commit time
                  5 handles per transaction
                  6 blocks per transaction
                  9 logged blocks per transaction
                """);
        assertThat(ProcInfo.path(hz250)).isEqualTo("/proc/fs/jbd2/sda1-8/info");
    }

    @Test
    void beforeTheFirstCommitOnlyTheFirstLine() {
        var s = new JournalStats().snapshot();
        assertThat(ProcInfo.render(s, 255, hz250)).isEqualTo("0 transactions (0 requested), each up to 255 blocks\n");
    }

    @Test
    void averageCommitTimeIsTheKernelsEwma() {
        JournalStats st = new JournalStats();
        assertThat(st.updateAverageCommitTime(8000)).isEqualTo(8000);
        assertThat(st.updateAverageCommitTime(4000)).isEqualTo((4000 + 3 * 8000) / 4);
    }
}
