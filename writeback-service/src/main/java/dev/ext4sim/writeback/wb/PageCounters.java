package dev.ext4sim.writeback.wb;

import java.util.HashMap;
import java.util.Map;

/**
 * ext4 reports each filesystem's NR_FILE_DIRTY and NR_WRITEBACK as absolute counts, with the NR_DIRTIED and
 * NR_WRITTEN it counted since it mounted the filesystem, and a sequence number; the global counters ({@link VmStat})
 * move by the kernel's page events. This turns the change since a filesystem's previous report into those events:
 * the pages written since (end_page_writeback), the pages submitted (set_page_writeback: what writeback grew by,
 * plus what ended), the pages dirtied (account_page_dirtied), and the rest of the dirty change, which is pages
 * dropped unwritten (account_page_cleaned). The four counters are exact whatever reports were coalesced or lost. A
 * sender that counts no dirtied or written pages (both 0) leaves them to be inferred as lower bounds: writeback
 * going down is pages written, dirty going up is pages dirtied. So is a restarted ext4, whose counts start again.
 *
 * <p>A report with a sequence number not above the last one of its filesystem is late and dropped. Before the first
 * report of a filesystem, the dirty pages that a rebuild counted stand for it ({@link #estimate}); the first report
 * replaces that estimate instead of adding to it.
 */
final class PageCounters {
    private record Report(long seq, long dirty, long writeback, long dirtied, long written) {
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
    synchronized boolean report(int dev, long seq, long dirty, long writeback, long dirtied, long written) {
        Report prev = last.get(dev);
        if (prev != null && seq <= prev.seq()) {
            return false;
        }
        long estimate = 0;
        if (prev == null) {
            estimate = estimates.getOrDefault(dev, 0L);
            // what ext4 dirtied and wrote before this service started is not this service's to count
            prev = new Report(Long.MIN_VALUE, estimate, 0, dirtied, written);
            estimates.remove(dev);
        }
        // a count below the previous one is a new ext4 instance counting from zero: all of it is new
        long dDirtied = dirtied >= prev.dirtied() ? dirtied - prev.dirtied() : dirtied;
        long dWritten = written >= prev.written() ? written - prev.written() : written;
        long dWriteback = writeback - prev.writeback();
        long ended = Math.max(dWritten, -dWriteback);
        long submitted = dWriteback + ended;
        // dirty = previous + dirtied - submitted - cleaned
        long cleaned = prev.dirty() + dDirtied - submitted - dirty;
        if (cleaned < 0) {
            dDirtied -= cleaned; // more came than the sender counted (it counts none, or restarted): dirtied all the same
            cleaned = 0;
        }
        if (dDirtied > 0) {
            vm.account_page_dirtied(dDirtied);
        }
        if (submitted > 0) {
            vm.set_page_writeback(submitted);
        }
        if (ended > 0) {
            vm.end_page_writeback(ended);
        }
        if (cleaned > 0) {
            vm.account_page_cleaned(cleaned);
        }
        last.put(dev, new Report(seq, dirty, writeback, dirtied, written));
        return true;
    }
}
