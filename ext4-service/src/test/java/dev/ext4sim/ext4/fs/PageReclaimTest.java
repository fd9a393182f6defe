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
 * The page cache under its limit: clean pages of the least recently used files go, dirty ones stay until
 * writeback, and whatever went is read from the disk again, byte for byte.
 */
class PageReclaimTest {
    @TempDir
    Path dir;

    @Test
    void cleanPagesPastTheLimitAreReclaimedAndReadAgainFromTheDisk() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20)) {
            f.ext4.pageCacheLimit(64 * 4096);
            TraceContext w = Ext4Fixture.writer("w", 2);
            Random random = new Random(5);
            byte[][] data = new byte[4][];
            int[] inos = new int[4];
            for (int i = 0; i < 4; i++) {
                inos[i] = f.ext4.create(w, Ext4.ROOT_INO, "f" + i, 0644);
                data[i] = new byte[40 * 4096 + 123];
                random.nextBytes(data[i]);
                f.ext4.write(w, inos[i], 0, data[i], Ext4Mount.WriteFlags.NONE);
            }
            assertThat(f.ext4.pageCacheStats()[0]).as("dirty pages are never reclaimed").isEqualTo(4 * 41);
            assertThat(f.ext4.pageCacheStats()[1]).isZero();

            f.flushAll();
            f.ext4.getattr(w, inos[0]); // any call past the limit reclaims
            long[] stats = f.ext4.pageCacheStats();
            assertThat(stats[0]).as("down to three quarters of the limit").isLessThanOrEqualTo(48);
            assertThat(stats[1]).isEqualTo(4 * 41 - stats[0]);

            long readsBefore = f.block.blocksRead();
            for (int i = 0; i < 4; i++) {
                assertThat(f.ext4.read(w, inos[i], 0, data[i].length + 10)).isEqualTo(data[i]);
            }
            assertThat(f.block.blocksRead()).as("what was reclaimed came from the disk").isGreaterThan(readsBefore);
            assertThat(f.ext4.pageCacheStats()[0]).isLessThanOrEqualTo(64);

            // a partial write into a reclaimed page reads the block first
            f.ext4.write(w, inos[1], 5, new byte[]{1, 2, 3}, Ext4Mount.WriteFlags.NONE);
            data[1][5] = 1;
            data[1][6] = 2;
            data[1][7] = 3;
            assertThat(f.ext4.read(w, inos[1], 0, data[1].length)).isEqualTo(data[1]);
            f.ext4.fsync(w, inos[1], false);
            f.unmountAndCheck();
            assertThat(E2fsprogs.debugfs(f.image, "cat /f1").stdout()).isEqualTo(data[1]);
        }
    }
}
