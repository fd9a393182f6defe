package dev.ext4sim.writeback.wb;

/** enum wb_reason with the symbols of WB_WORK_REASON in 4.x (tracepoints.md §4.7). */
public enum WbReason {
    WB_REASON_BACKGROUND("background"),
    WB_REASON_TRY_TO_FREE_PAGES("try_to_free_pages"),
    WB_REASON_SYNC("sync"),
    WB_REASON_PERIODIC("periodic"),
    WB_REASON_LAPTOP_TIMER("laptop_timer"),
    WB_REASON_FREE_MORE_MEM("free_more_memory"),
    WB_REASON_FS_FREE_SPACE("fs_free_space"),
    WB_REASON_FORKER_THREAD("forker_thread");

    private final String symbol;

    WbReason(String symbol) {
        this.symbol = symbol;
    }

    /** What __print_symbolic prints. */
    public String symbol() {
        return symbol;
    }
}
