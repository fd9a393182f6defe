package dev.ext4sim.writeback.wb;

import dev.ext4sim.bus.trace.TraceContext;
import java.util.concurrent.CompletableFuture;

/**
 * struct wb_writeback_work: one request for the flusher. {@code nrPages} counts down as pages are written;
 * {@code sb} is the superblock's dev_t or 0 for all of them; {@code done} completes when the work finished (what
 * wb_wait_for_completion waits for). {@code ctx} carries the trace id of the call that queued it.
 */
final class WbWritebackWork {
    long nrPages;
    final int sb;
    final int syncMode;
    final boolean taggedWritepages;
    final boolean forKupdate;
    final boolean rangeCyclic;
    final boolean forBackground;
    final boolean forSync;
    final WbReason reason;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    final TraceContext requester;
    /** older_than_this: jiffies; inodes dirtied after it are left for later. Set by wb_writeback. */
    Long olderThanThis;

    WbWritebackWork(long nrPages, int sb, int syncMode, boolean taggedWritepages, boolean forKupdate,
                    boolean rangeCyclic, boolean forBackground, boolean forSync, WbReason reason, TraceContext requester) {
        this.nrPages = nrPages;
        this.sb = sb;
        this.syncMode = syncMode;
        this.taggedWritepages = taggedWritepages;
        this.forKupdate = forKupdate;
        this.rangeCyclic = rangeCyclic;
        this.forBackground = forBackground;
        this.forSync = forSync;
        this.reason = reason;
        this.requester = requester;
    }

    @Override
    public String toString() {
        return "wb_writeback_work{nr_pages=" + nrPages + ", sb=" + sb + ", sync_mode=" + syncMode + ", reason="
                + reason.symbol() + "}";
    }
}
