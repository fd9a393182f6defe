package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.WritebackPort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The flusher's side of the notifications, recorded; it asks for no pause unless told to. */
final class RecordingWriteback implements WritebackPort {
    final List<InodeDirtied> dirtied = new ArrayList<>();
    long dirtyPages;
    PageCounts counts = new PageCounts(0, 0, 0, 0);
    Duration pause = Duration.ZERO;
    int balanceCalls;

    @Override
    public synchronized void inodeDirtied(TraceContext ctx, InodeDirtied event) {
        dirtied.add(event);
    }

    @Override
    public synchronized void pageCountersChanged(TraceContext ctx, PageCounts counts) {
        this.counts = counts;
        this.dirtyPages = counts.dirty();
    }

    @Override
    public synchronized Duration balanceDirtyPagesRatelimited(TraceContext ctx, int pagesDirtied) {
        balanceCalls++;
        return pause;
    }
}
