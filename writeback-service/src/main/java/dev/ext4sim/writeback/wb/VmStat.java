package dev.ext4sim.writeback.wb;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The global page counters of mm/vmstat.c that writeback reads, fed by ext4's notifications: NR_FILE_DIRTY and
 * NR_WRITEBACK (pages now), NR_DIRTIED and NR_WRITTEN (since boot). A read never goes below zero, as
 * global_node_page_state clamps a transiently negative per-cpu sum; here a notification may arrive out of order.
 */
public final class VmStat {
    private final AtomicLong nrFileDirty = new AtomicLong();
    private final AtomicLong nrWriteback = new AtomicLong();
    private final AtomicLong nrDirtied = new AtomicLong();
    private final AtomicLong nrWritten = new AtomicLong();

    /** account_page_dirtied. */
    public void account_page_dirtied(long pages) {
        nrFileDirty.addAndGet(pages);
        nrDirtied.addAndGet(pages);
    }

    /** account_page_cleaned: a dirty page truncated or invalidated before writeback. */
    public void account_page_cleaned(long pages) {
        nrFileDirty.addAndGet(-pages);
    }

    /** clear_page_dirty_for_io + set_page_writeback. */
    public void set_page_writeback(long pages) {
        nrFileDirty.addAndGet(-pages);
        nrWriteback.addAndGet(pages);
    }

    /** end_page_writeback (test_clear_page_writeback counts NR_WRITTEN). */
    public void end_page_writeback(long pages) {
        nrWriteback.addAndGet(-pages);
        nrWritten.addAndGet(pages);
    }

    public long nr_file_dirty() {
        return Math.max(0, nrFileDirty.get());
    }

    public long nr_writeback() {
        return Math.max(0, nrWriteback.get());
    }

    public long nr_dirtied() {
        return Math.max(0, nrDirtied.get());
    }

    public long nr_written() {
        return Math.max(0, nrWritten.get());
    }
}
