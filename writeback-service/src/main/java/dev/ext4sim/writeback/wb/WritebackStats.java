package dev.ext4sim.writeback.wb;

/**
 * What the flusher reports to the service's metrics: one call per wb_writeback, with the work's reason and the
 * pages it wrote (what the writeback_written tracepoint marks the end of). Called in the kworker; must be quick.
 */
@FunctionalInterface
public interface WritebackStats {
    WritebackStats NONE = (reason, pages) -> {
    };

    void wb_writeback(WbReason reason, long pagesWritten);
}
