package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ext4.port.WritebackControl;
import dev.ext4sim.ondisk.ImageFile;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel core alone, with in-process fakes for the ports (no bus): buffered 4 KiB writes into the page cache,
 * writepages of what they dirtied, and fsync of one page. Prints numbers; asserts nothing about rates.
 */
class Ext4CoreBenchmark {
    @TempDir
    Path dir;

    @Test
    void bufferedWritesWritepagesAndFsync() {
        Path image = Ext4Fixture.format(dir.resolve("bench.img"), 512L << 20);
        ManualClock clock = new ManualClock();
        try (ImageFile dev = ImageFile.open(image, 4096)) {
            for (boolean tracing : new boolean[]{false, true}) {
                FakeBlockPort block = new FakeBlockPort(dev);
                FakeJournal journal = new FakeJournal(dev);
                Tracer tracer = new Tracer("ext4-service", clock.traceClock(), event -> { }, 2);
                Ext4Mount ext4 = Ext4Mount.mount(Ext4Fixture.MOUNT, block, journal, new RecordingWriteback(),
                        new Ext4Trace(tracer, Ext4Mount.SDA1, Ext4Mount.BDI_SDA, tracing), clock, Ext4Mount.SDA1);
                journal.ordered(ext4);
                TraceContext w = Ext4Fixture.writer("bench", 1);
                byte[] page = new byte[4096];
                int files = 0;
                for (int round = 0; round < 3; round++) {
                    int ino = ext4.create(w, Ext4.ROOT_INO, "f" + tracing + (files++), 0644);
                    int pages = 8192; // 32 MiB
                    long t0 = System.nanoTime();
                    for (int i = 0; i < pages; i++) {
                        ext4.write(w, ino, (long) i * 4096, page, Ext4Mount.WriteFlags.NONE);
                    }
                    long t1 = System.nanoTime();
                    long written = 0;
                    while (written < pages) {
                        written += ext4.writepages(Ext4Fixture.KWORKER, ino, WritebackControl.periodic(1024));
                    }
                    long t2 = System.nanoTime();
                    journal.commit();
                    long t3 = System.nanoTime();
                    int fsyncs = 200;
                    for (int i = 0; i < fsyncs; i++) {
                        ext4.write(w, ino, (long) i * 4096, page, Ext4Mount.WriteFlags.NONE);
                        ext4.fsync(w, ino, false);
                    }
                    long t4 = System.nanoTime();
                    System.out.printf(Locale.ROOT, "ext4 core (tracing %s): buffered 4 KiB write %.1f us (%.0f/s), writepages %.1f us/page,"
                                    + " commit of %d pages' metadata %.1f ms, write+fsync of a written page %.1f us%n",
                            tracing ? "on" : "off", (t1 - t0) / 1e3 / pages, pages / ((t1 - t0) / 1e9), (t2 - t1) / 1e3 / pages,
                            pages, (t3 - t2) / 1e6, (t4 - t3) / 1e3 / fsyncs);
                    ext4.truncate(w, ino, 0);
                }
                ext4.unmount(Ext4Fixture.MOUNT);
            }
        }
    }
}
