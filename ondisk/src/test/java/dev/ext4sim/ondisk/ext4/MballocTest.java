package dev.ext4sim.ondisk.ext4;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The goal search of ext4_mb_new_blocks on a filesystem of several groups: the goal's group first, then onwards. */
class MballocTest {
    @TempDir
    Path dir;

    @Test
    void anAllocationStartsAtItsGoalInItsGoalsGroupAndWrapsWhenThatGroupIsFull() {
        Path img = dir.resolve("groups.img");
        Mkfs.format(img, MkfsOptions.defaults().withSize(512L << 20).withTimestamp(1_700_000_000L));
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            Geometry geo = fs.geometry();
            assertThat(fs.groupCount()).isEqualTo(4);

            // a goal in group 2's data, past its inode table: the run starts at the goal itself
            long goal = geo.groupFirstBlock(3) - 100;
            assertThat(fs.mballoc().inUse(goal)).isFalse();
            Mballoc.Run run = fs.mballoc().newBlocks(goal, 8);
            assertThat(run).isEqualTo(new Mballoc.Run(goal, 8));
            assertThat(fs.mballoc().inUse(goal + 7)).isTrue();
            // the next one asking the same goal continues after what is now taken
            assertThat(fs.mballoc().newBlocks(goal, 4)).isEqualTo(new Mballoc.Run(goal + 8, 4));
            assertThat(fs.mballoc().blocksAllocated()).as("since the filesystem was opened").isEqualTo(12);

            // group 3 full (its free blocks taken from its first free one on): a goal there goes on in group 0
            int free3 = fs.group(3).bg_free_blocks_count();
            Mballoc.Run rest = fs.mballoc().newBlocks(geo.groupFirstBlock(3), free3);
            assertThat(geo.groupOfBlock(rest.start())).isEqualTo(3);
            while (fs.group(3).bg_free_blocks_count() > 0) {
                fs.mballoc().newBlocks(geo.groupFirstBlock(3), fs.group(3).bg_free_blocks_count());
            }
            Mballoc.Run wrapped = fs.mballoc().newBlocks(geo.groupFirstBlock(3) + 10, 1);
            assertThat(geo.groupOfBlock(wrapped.start())).isZero();
        }
    }
}
