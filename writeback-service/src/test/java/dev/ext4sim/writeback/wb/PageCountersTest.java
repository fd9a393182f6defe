package dev.ext4sim.writeback.wb;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PageCountersTest {
    private static final int SDA1 = 0x800001;
    private final VmStat vm = new VmStat();
    private final PageCounters counters = new PageCounters(vm);

    private void assertVm(long dirty, long writeback, long dirtied, long written) {
        assertThat(new long[]{vm.nr_file_dirty(), vm.nr_writeback(), vm.nr_dirtied(), vm.nr_written()})
                .as("dirty, writeback, dirtied, written").containsExactly(dirty, writeback, dirtied, written);
    }

    @Test
    void pagesUnderWritebackAreNeitherDirtyNorWrittenYet() {
        counters.report(SDA1, 1, 8, 0, 8, 0);
        counters.report(SDA1, 2, 0, 8, 8, 0);
        assertVm(0, 8, 8, 0);
        counters.report(SDA1, 3, 0, 0, 8, 8);
        assertVm(0, 0, 8, 8);
    }

    @Test
    void pagesDirtiedAndWrittenBetweenTwoReportsAreCounted() {
        counters.report(SDA1, 1, 8, 0, 8, 0);
        // the reports of the submission and of its end were coalesced into this one, with 4 more pages dirtied
        counters.report(SDA1, 4, 4, 0, 12, 8);
        assertVm(4, 0, 12, 8);
    }

    @Test
    void dirtyPagesDroppedUnwrittenAreCleanedNotWritten() {
        counters.report(SDA1, 1, 8, 0, 8, 0);
        counters.report(SDA1, 2, 5, 0, 8, 0);
        assertVm(5, 0, 8, 0);
    }

    @Test
    void aLateReportIsDropped() {
        counters.report(SDA1, 5, 8, 0, 8, 0);
        assertThat(counters.report(SDA1, 4, 99, 99, 99, 99)).isFalse();
        assertVm(8, 0, 8, 0);
    }

    @Test
    void aRestartedExt4CountsFromZeroAndItsCountsAreNew() {
        counters.report(SDA1, 1, 8, 0, 8, 0);
        counters.report(SDA1, 2, 2, 0, 2, 0);
        assertVm(2, 0, 10, 0);
    }

    @Test
    void aSenderThatCountsOnlyTheCurrentPagesGetsLowerBounds() {
        counters.report(SDA1, 1, 10, 0, 0, 0);
        counters.report(SDA1, 2, 4, 6, 0, 0);
        counters.report(SDA1, 3, 4, 0, 0, 0);
        assertVm(4, 0, 10, 6);
    }

    @Test
    void theFirstReportReplacesARebuildsEstimate() {
        counters.estimate(SDA1, 5);
        counters.report(SDA1, 1, 7, 0, 40, 33);
        assertVm(7, 0, 7, 0);
    }
}
