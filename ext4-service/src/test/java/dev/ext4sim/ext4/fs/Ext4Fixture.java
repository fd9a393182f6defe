package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ext4.port.WritebackControl;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4;
import dev.ext4sim.ondisk.ImageFile;
import dev.ext4sim.ondisk.ext4.Mkfs;
import dev.ext4sim.ondisk.ext4.MkfsOptions;
import java.nio.file.Path;
import java.util.List;

/**
 * A formatted image file, the fake ports over it, a manual clock and a recording trace sink, and ext4 mounted on them.
 * The image is what the device would hold after every commit was checkpointed: e2fsck reads it after unmount.
 */
final class Ext4Fixture implements AutoCloseable {
    static final TraceContext MOUNT = TraceContext.of(new Task("mount", 100));
    static final TraceContext KWORKER = TraceContext.of(new Task("kworker/u16:2", 89));

    final Path image;
    final ManualClock clock = new ManualClock();
    final RecordingTraceSink sink = new RecordingTraceSink();
    final ImageFile dev;
    final FakeBlockPort block;
    final FakeJournal journal;
    final RecordingWriteback writeback = new RecordingWriteback();
    final Ext4Mount ext4;

    Ext4Fixture(Path dir, long sizeBytes) {
        this(format(dir.resolve("sda1.img"), sizeBytes));
    }

    Ext4Fixture(Path dir, long sizeBytes, KernelProfile profile) {
        this(format(dir.resolve("sda1.img"), sizeBytes), profile);
    }

    /** Mounts an existing image. */
    Ext4Fixture(Path image) {
        this(image, KernelProfile.V4X);
    }

    /** A fresh image mounted with {@code opts} (4.x profile). */
    Ext4Fixture(Path dir, long sizeBytes, MountOptions opts) {
        this(format(dir.resolve("sda1.img"), sizeBytes), KernelProfile.V4X, opts);
    }

    Ext4Fixture(Path image, KernelProfile profile) {
        this(image, profile, MountOptions.DEFAULTS);
    }

    Ext4Fixture(Path image, KernelProfile profile, MountOptions opts) {
        this.image = image;
        this.dev = ImageFile.open(image, 4096);
        this.block = new FakeBlockPort(dev);
        this.journal = new FakeJournal(dev);
        Tracer tracer = new Tracer("ext4-service", clock.traceClock(), sink, 2, profile);
        this.ext4 = Ext4Mount.mount(MOUNT, block, journal, writeback, new Ext4Trace(tracer, Ext4Mount.SDA1, Ext4Mount.BDI_SDA),
                clock, Ext4Mount.SDA1, opts);
        journal.ordered(ext4);
    }

    static Path format(Path image, long sizeBytes) {
        Mkfs.format(image, MkfsOptions.defaults().withSize(sizeBytes).withTimestamp(ManualClock.DEFAULT_WALL_START.getEpochSecond()));
        return image;
    }

    static TraceContext writer(String comm, int pid) {
        return TraceContext.of(new Task(comm, pid));
    }

    /** What the flusher does until nothing is dirty: periodic writepages passes of 1024 pages in the kworker's task. */
    void flushAll() {
        for (int pass = 0; pass < 10_000 && !ext4.dirtyInodes().isEmpty(); pass++) {
            for (DirtyInode d : ext4.dirtyInodes()) {
                ext4.writepages(KWORKER, (int) d.ino(), WritebackControl.periodic(1024));
            }
        }
    }

    /** A new file under the root, created and opened for writing by {@code w}; its inode number. */
    int createOpen(TraceContext w, String name) {
        int ino = ext4.create(w, Ext4.ROOT_INO, name, 0644);
        ext4.open(w, ino, true);
        return ino;
    }

    /** The events of {@code comm} recorded from index {@code mark} on. */
    List<TraceEvent> since(String comm, int mark) {
        return sink.events().subList(mark, sink.events().size()).stream().filter(e -> e.comm().equals(comm)).toList();
    }

    /** Where {@link #since} starts for what happens next. */
    int mark() {
        return sink.events().size();
    }

    static List<String> names(List<TraceEvent> events) {
        return events.stream().map(TraceEvent::event).toList();
    }

    /** The text of the {@code nth} (from 0) event named {@code name}. */
    static String text(List<TraceEvent> events, String name, int nth) {
        return events.stream().filter(e -> e.event().equals(name)).skip(nth).findFirst().orElseThrow().text();
    }

    List<TraceEvent> events(String comm) {
        return sink.events().stream().filter(e -> e.comm().equals(comm)).toList();
    }

    List<String> names(String comm) {
        return events(comm).stream().map(TraceEvent::event).toList();
    }

    /** Unmounts, closes the image and runs e2fsck -fn on it. */
    void unmountAndCheck() {
        ext4.unmount(MOUNT);
        dev.close();
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(image);
        assertThat(fsck.exit()).as(fsck.output()).isZero();
    }

    @Override
    public void close() {
        dev.close();
    }
}
