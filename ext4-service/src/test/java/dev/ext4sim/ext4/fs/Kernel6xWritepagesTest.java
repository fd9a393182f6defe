package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ext4.port.WritebackControl;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Kernel6xWritepagesTest {
    @TempDir
    Path dir;

    @Test
    void dump() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20, KernelProfile.V6X)) {
            TraceContext demo = Ext4Fixture.writer(SeedTraceTest.DEMO, 1234);
            int ino = f.ext4.create(demo, Ext4.ROOT_INO, "hello", 0644);
            f.ext4.open(demo, ino, true);
            f.ext4.write(demo, ino, 0, SeedTraceTest.HELLO, Ext4Mount.WriteFlags.NONE);
            int mark = f.sink.events().size();
            f.ext4.fsync(demo, ino, false);
            f.ext4.release(demo, ino, true);
            int ino2 = f.ext4.create(demo, Ext4.ROOT_INO, "hello2", 0644);
            f.ext4.open(demo, ino2, true);
            f.ext4.write(demo, ino2, 0, SeedTraceTest.HELLO, Ext4Mount.WriteFlags.NONE);
            f.ext4.release(demo, ino2, true);
            int mark2 = f.sink.events().size();
            f.ext4.writepages(Ext4Fixture.KWORKER, ino2, WritebackControl.periodic(12288));
            List<TraceEvent> all = f.sink.events();
            for (int i = mark; i < all.size(); i++) {
                TraceEvent e = all.get(i);
                System.out.println((i == mark2 ? "----\n" : "") + e.comm() + " " + e.event() + ": " + e.text());
            }
        }
    }
}
