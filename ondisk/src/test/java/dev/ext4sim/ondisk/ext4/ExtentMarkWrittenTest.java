package dev.ext4sim.ondisk.ext4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.ondisk.E2fsprogs;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The end_io conversion of part of an unwritten extent: split, then merged with the written neighbour, e2fsck clean. */
class ExtentMarkWrittenTest {
    @TempDir
    Path dir;

    @Test
    void convertingTheMiddleSplitsAndTheFrontMergesBack() {
        Path img = dir.resolve("conv.img");
        Mkfs.format(img, MkfsOptions.defaults().withSize(64L << 20));
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            int ino = fs.create("/u", 0644);
            Inode inode = fs.inodes().read(ino);
            Mballoc.Run r = fs.mballoc().newBlocks(5000, 8);
            fs.extents().insert(inode, new Extent(0, 8, r.start(), true));
            inode.i_blocks(inode.i_blocks() + 8 * 8);
            inode.i_size(8 * 4096);

            assertThat(fs.extents().markWritten(inode, 2, 3)).isEqualTo(3);
            assertThat(fs.extents().extents(inode)).containsExactly(new Extent(0, 2, r.start(), true),
                    new Extent(2, 3, r.start() + 2, false), new Extent(5, 3, r.start() + 5, true));
            assertThat(fs.extents().markWritten(inode, 0, 2)).isEqualTo(2);
            assertThat(fs.extents().extents(inode)).containsExactly(new Extent(0, 5, r.start(), false),
                    new Extent(5, 3, r.start() + 5, true));
            assertThat(fs.extents().markWritten(inode, 0, 5)).as("already written").isZero();
            fs.inodes().write(inode);
            fs.flush();
        }
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(img);
        assertThat(fsck.exit()).as(fsck.output()).isZero();
    }
}
