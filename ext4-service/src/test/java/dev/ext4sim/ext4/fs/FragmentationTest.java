package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two files written back a block at a time in turn, so that every block of each is its own extent: the extent trees
 * grow to index levels, and every writeback handle stays within the credits 4.x asks for (the fake journal fails
 * a handle that dirties more buffers than its credits).
 */
class FragmentationTest {
    @TempDir
    Path dir;

    @Test
    void deepExtentTreesStayWithinTheirCredits() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20)) {
            TraceContext w = Ext4Fixture.writer("frag", 6);
            int a = f.ext4.create(w, Ext4.ROOT_INO, "a", 0644);
            int b = f.ext4.create(w, Ext4.ROOT_INO, "b", 0644);
            Random rnd = new Random(6);
            int blocks = 1500;
            byte[][] data = new byte[2][blocks * 4096];
            rnd.nextBytes(data[0]);
            rnd.nextBytes(data[1]);
            for (int i = 0; i < blocks; i++) {
                for (int k = 0; k < 2; k++) {
                    int ino = k == 0 ? a : b;
                    // every other block, so that no two neighbours in a file are ever allocated together
                    int lblk = (i * 2) % blocks + (i * 2 / blocks);
                    f.ext4.write(w, ino, lblk * 4096L, java.util.Arrays.copyOfRange(data[k], lblk * 4096, lblk * 4096 + 4096),
                            Ext4Mount.WriteFlags.NONE);
                    f.ext4.writepages(Ext4Fixture.KWORKER, ino, dev.ext4sim.ext4.port.WritebackControl.periodic(1024));
                }
                if (i % 200 == 0) {
                    f.journal.commit();
                }
            }
            f.unmountAndCheck();
            String stat = E2fsprogs.debugfs(f.image, "stat /a").output();
            assertThat(stat).containsPattern("\\(ETB[12]\\)"); // index levels below the inode
            assertThat(E2fsprogs.debugfs(f.image, "cat /a").stdout()).isEqualTo(data[0]);
            assertThat(E2fsprogs.debugfs(f.image, "cat /b").stdout()).isEqualTo(data[1]);
        }
    }
}
