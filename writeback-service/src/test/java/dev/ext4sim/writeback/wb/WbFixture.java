package dev.ext4sim.writeback.wb;

import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.FtraceLayout;
import dev.ext4sim.bus.trace.FtraceRenderer;
import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.bus.trace.Tracer;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/**
 * A writeback core on a manual clock, with a fake ext4, a recording trace sink and sda announced. By default the
 * flusher's work runs inline, so advancing the clock runs wb_workfn to its end before advance returns.
 */
final class WbFixture {
    static final int SDA1 = BackingDevInfo.MKDEV(8, 1);
    final ManualClock clock = new ManualClock();
    final RecordingTraceSink sink = new RecordingTraceSink();
    final FakeExt4 ext4 = new FakeExt4();
    final Writeback writeback;
    final BdiWriteback wb;

    WbFixture() {
        this(Writeback.Config.defaults(), t -> Workqueue.INLINE);
    }

    WbFixture(Writeback.Config config) {
        this(config, t -> Workqueue.INLINE);
    }

    WbFixture(Writeback.Config config, Function<Task, Workqueue> workqueues) {
        this(config, workqueues, KernelProfile.V4X);
    }

    WbFixture(KernelProfile profile) {
        this(Writeback.Config.defaults(), t -> Workqueue.INLINE, profile);
    }

    WbFixture(Writeback.Config config, Function<Task, Workqueue> workqueues, KernelProfile profile) {
        Tracer tracer = new Tracer("writeback-service", clock.traceClock(), sink, 8, profile);
        writeback = new Writeback(config, ext4, tracer, clock.traceClock(), clock, workqueues);
        ext4.wb = writeback;
        ext4.dev = SDA1;
        wb = writeback.bdi_register(sda());
    }

    static BlockIo.DeviceAdded sda() {
        return new BlockIo.DeviceAdded("sda", 8, 0, 2_097_152, 4096, "8:0", true, true, 31,
                List.of(new BlockIo.Partition("sda1", 8, 1, 0, 2_097_152)), "ufs3.1", 12_345);
    }

    static TraceContext task(String comm, int pid) {
        return TraceContext.of(new Task(comm, pid));
    }

    /** What ext4 sends for a buffered write of {@code pages} new pages: the page counts, then the inode dirtied. */
    FsWriteback.Marked write(long ino, long pages) {
        ext4.dirty(ino, pages);
        writeback.account_page_dirtied(SDA1, pages);
        return writeback.mark_inode_dirty(SDA1, ino, InodeState.I_DIRTY_SYNC | InodeState.I_DIRTY_PAGES);
    }

    void advanceTo(Duration t) {
        clock.advance(t.minus(clock.elapsed()));
    }

    void advanceToSeconds(double s) {
        advanceTo(Duration.ofNanos((long) (s * 1e9)));
    }

    List<String> names(String commPrefix) {
        return sink.events().stream().filter(e -> e.comm().startsWith(commPrefix)).map(TraceEvent::event).toList();
    }

    List<String> lines(String event) {
        return sink.events(event).stream().map(TraceEvent::text).toList();
    }

    String ftrace(TraceEvent e) {
        return new FtraceRenderer(FtraceLayout.KERNEL_4X).line(e);
    }
}
