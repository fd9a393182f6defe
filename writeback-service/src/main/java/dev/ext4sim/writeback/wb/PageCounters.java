package dev.ext4sim.writeback.wb;

import java.util.HashMap;
import java.util.Map;

/**
 * ext4 reports each filesystem's NR_FILE_DIRTY and NR_WRITEBACK as absolute counts with a sequence number; the
 * global counters ({@link VmStat}) move by the kernel's page events. This turns the change since a filesystem's
 * previous report into those events: writeback going down is end_page_writeback (pages written), going up is
 * set_page_writeback (dirty pages submitted), and what is left of the dirty change is account_page_dirtied or
 * account_page_cleaned. NR_DIRTIED and NR_WRITTEN are therefore lower bounds (two reports can hide pages that were
 * dirtied and written in between); NR_FILE_DIRTY and NR_WRITEBACK are exact once a report arrived.
 *
 * <p>A report with a sequence number not above the last one of its filesystem is late and dropped. Before the first
 * report of a filesystem, the dirty pages that a rebuild counted stand for it ({@link #estimate}); the first report
 * replaces that estimate instead of adding to it.
 */
final class PageCounters {
    private record Report(long seq, long dirty, long writeback) {
    }

    private final VmStat vm;
    private final Map<Integer, Report> last = new HashMap<>();
    private final Map<Integer, Long> estimates = new HashMap<>();

    PageCounters(VmStat vm) {
        this.vm = vm;
    }

    /** Whether ext4 reported this filesystem's counts since this service started. */
    synchronized boolean reported(int dev) {
        return last.containsKey(dev);
    }

    /** A rebuild counted {@code pages} dirty pages of a filesystem ext4 has not reported yet. */
    synchronized void estimate(int dev, long pages) {
        vm.account_page_dirtied(pages);
        estimates.merge(dev, pages, Long::sum);
    }

    /** Applies one report; false when it is late (not newer than the last applied) and was dropped. */
    synchronized boolean report(int dev, long seq, long dirty, long writeback) {
        Report prev = last.get(dev);
        if (prev != null && seq <= prev.seq()) {
            return false;
        }
        if (prev == null) {
            prev = new Report(Long.MIN_VALUE, estimates.getOrDefault(dev, 0L), 0);
            estimates.remove(dev);
        }
        long dWriteback = writeback - prev.writeback();
        long dDirty = dirty - prev.dirty();
        if (dWriteback < 0) {
            vm.end_page_writeback(-dWriteback);
        } else if (dWriteback > 0) {
            vm.set_page_writeback(dWriteback);
            dDirty += dWriteback; // those pages left the dirty count on their way to writeback
        }
        if (dDirty > 0) {
            vm.account_page_dirtied(dDirty);
        } else if (dDirty < 0) {
            vm.account_page_cleaned(-dDirty);
        }
        last.put(dev, new Report(seq, dirty, writeback));
        return true;
    }
}
