package dev.ext4sim.jbd2.testing;

import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.jbd2.io.BusBlockDevice;
import dev.ext4sim.jbd2.io.LoadReads;
import dev.ext4sim.jbd2.journal.CommitListener;
import dev.ext4sim.jbd2.journal.IoBatch;
import dev.ext4sim.jbd2.journal.Jbd2Trace;
import dev.ext4sim.jbd2.journal.Journal;
import dev.ext4sim.jbd2.journal.JournalBmap;
import dev.ext4sim.jbd2.journal.JournalConfig;
import dev.ext4sim.jbd2.journal.OrderedData;
import dev.ext4sim.jbd2.journal.RunStats;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.Ext4Journal;
import dev.ext4sim.ondisk.ext4.Extent;
import dev.ext4sim.ondisk.ext4.Mkfs;
import dev.ext4sim.ondisk.ext4.MkfsOptions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * A mkfs'd 64 MiB filesystem in memory behind a recording blk_submit port, mounted through the bus device, with a
 * journal on a manual clock and a recording trace sink. Nothing sleeps; waits poll a condition with a deadline.
 */
public final class JournalFixture {
    public static final int SIZE_BLOCKS = 16384;
    public final MemoryBlockDevice disk;
    public final MemoryBlockIoPort port;
    public final ManualClock clock = new ManualClock();
    public final RecordingTraceSink sink = new RecordingTraceSink();
    public final List<RunStats> commits = new CopyOnWriteArrayList<>();
    public BusBlockDevice dev;
    public Ext4Journal.Mounted mounted;
    public Journal journal;
    /** The device blocks the last load read, in order. */
    public List<Long> loadReads;

    /** The kernel whose events the journal's tracer emits. */
    public final KernelProfile profile;

    public JournalFixture() {
        this(KernelProfile.V4X);
    }

    public JournalFixture(KernelProfile profile) {
        this.profile = profile;
        disk = new MemoryBlockDevice(4096, SIZE_BLOCKS);
        Mkfs.format(disk, MkfsOptions.defaults().withSize((long) SIZE_BLOCKS * 4096));
        port = new MemoryBlockIoPort(disk);
    }

    /** Mounts (recovering if needed) and builds a journal with {@code config}. */
    public JournalFixture load(JournalConfig config) {
        return load(config, OrderedData.NONE);
    }

    /** {@link #load(JournalConfig)} with the filesystem's side of data=ordered. */
    public JournalFixture load(JournalConfig config, OrderedData orderedData) {
        dev = BusBlockDevice.open(port, "sda1");
        LoadReads reads = new LoadReads(dev);
        mounted = Ext4Journal.mount(reads);
        loadReads = reads.stop();
        Tracer tracer = new Tracer("jbd2-service", clock.traceClock(), sink, 8, profile);
        CommitListener listener = commits::add;
        JournalBmap bmap = JournalBmap.afterLoad(tracer, config.devT(), journalExtents(), loadReads);
        journal = new Journal(config, clock, clock, new Jbd2Trace(tracer, config), mounted.journal(), bmap,
                IoBatch.of(dev::batch, dev::sendPending),
                orderedData, listener);
        return this;
    }

    public JournalFixture load() {
        return load(JournalConfig.defaults().withBatchTime(Duration.ZERO, Duration.ZERO));
    }

    /** A home block in the data area, away from the journal and the group metadata. */
    public static long home(int i) {
        return 12000 + i;
    }

    public static byte[] block(int fill) {
        byte[] b = new byte[4096];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    public static TraceContext task(String comm, int pid) {
        return TraceContext.of(new Task(comm, pid));
    }

    /** The extents of inode 8. */
    public List<Extent> journalExtents() {
        return Ext4Filesystem.open(disk).journalExtents();
    }

    /** Journal blocks of inode 8 must not overlap the test's home blocks. */
    public void checkHomesOutsideJournal() {
        for (var e : journalExtents()) {
            if (e.pblk() <= home(999) && e.pblk() + e.len() > home(0)) {
                throw new IllegalStateException("the journal overlaps the test's home blocks: " + e);
            }
        }
    }

    public List<String> events() {
        return sink.events().stream().map(e -> e.event()).toList();
    }

    public List<String> lines(String event) {
        return sink.events(event).stream().map(TraceEvent::text).toList();
    }

    /** Polls {@code condition} until it holds, failing after 10 s. */
    public static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
