package dev.ext4sim.ondisk.ext4;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.ondisk.E2fsprogs;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Filling the filesystem: short writes on ENOSPC, nothing leaked, e2fsck still clean. */
class NoSpaceTest {
    @TempDir
    Path dir;

    @Test
    void fillingUpGivesShortWritesAndAConsistentImage() {
        Path img = dir.resolve("full.img");
        Mkfs.format(img, MkfsOptions.defaults().withSize(16L << 20).withTimestamp(1_700_000_000L));
        byte[] big = new byte[20 << 20];
        new Random(1).nextBytes(big);
        long written;
        int fragmented;
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            int f = fs.create("/big", 0644);
            assertThatThrownBy(() -> fs.pwrite(f, 0, big)).isInstanceOf(NoSpaceException.class).hasMessageContaining("wrote ");
            written = fs.inodes().read(f).i_size();
            assertThat(written).isPositive().isLessThan(big.length);
            assertThat(fs.readAll(f)).isEqualTo(Arrays.copyOf(big, (int) written));
            // Nothing is left: creating a directory fails cleanly (its block cannot be had).
            assertThatThrownBy(() -> fs.mkdir("/d", 0755)).isInstanceOf(NoSpaceException.class);
            assertThat(fs.lookup("/d")).isZero();
            fragmented = fs.create("/small", 0644);
            assertThatThrownBy(() -> fs.pwrite(fragmented, 0, new byte[] {1})).isInstanceOf(NoSpaceException.class);
        }
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(img);
        assertThat(fsck.exit()).as(fsck.output()).isZero();
        assertThat(E2fsprogs.debugfs(img, "cat /big").stdout()).isEqualTo(Arrays.copyOf(big, (int) written));
    }
}
