package dev.ext4sim.writeback.wb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.KernelProfile;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The 6.x profile's flusher: cgroup_ino=1 closing the per-wb formats, I_SYNC_QUEUED on the inodes queue_io moved, and
 * the block device inode (dirtied by jbd2's commit) written back in the same kupdate pass as ext4's inodes, through
 * the {@link BdevPort}.
 */
class Writeback6xTest {
    /** The block device inode of sda1 in 6.x: i_ino = dev_t. */
    private static final long BDEV_INO = WbFixture.SDA1;
    private final WbFixture f = new WbFixture(KernelProfile.V6X);
    private final List<WritebackControl> bdevCalls = new ArrayList<>();

    @Test
    void theKupdatePassWritesExt4sInodesAndTheBlockDeviceInodeInDirtiedOrder() {
        f.writeback.bdevPort((dev, wbc, ctx) -> {
            assertThat(dev).isEqualTo(WbFixture.SDA1);
            assertThat(ctx.task().comm()).isEqualTo("kworker/u16:2");
            bdevCalls.add(wbc);
            return new Ext4Port.Written(6, false, 0);
        });
        f.advanceToSeconds(1);
        f.write(12, 1);
        f.writeback.mark_inode_dirty(WbFixture.SDA1, BDEV_INO, InodeState.I_DIRTY_PAGES, f.writeback.jiffies().now(),
                Writeback.S_IFBLK, null);
        f.write(14, 1); // all three in the same jiffy, as the seed's commits and writes land within milliseconds
        // the timer wheel's 5.12 s rounds from the first dirtying at 1 s: 6.112, 11.232, ... 26.592, then 31.712 s, the
        // first that finds the inodes 30 s old
        f.advanceToSeconds(31.7);
        f.sink.clear();

        f.advanceToSeconds(31.72);

        assertThat(f.ext4.writtenInos()).containsExactly(12L, 14L);
        assertThat(bdevCalls).hasSize(1);
        assertThat(bdevCalls.getFirst().nrToWrite()).isEqualTo(1024);
        assertThat(f.names("kworker")).containsExactly(
                "writeback_start", "writeback_queue_io",
                "writeback_single_inode_start", "writeback_write_inode_start", "writeback_write_inode",
                "writeback_single_inode",
                "writeback_single_inode_start", "writeback_single_inode", // the bdev inode: pages only
                "writeback_single_inode_start", "writeback_write_inode_start", "writeback_write_inode",
                "writeback_single_inode",
                "writeback_written",
                "writeback_start", "writeback_queue_io", "writeback_written",
                "global_dirty_state", "writeback_pages_written");
        assertThat(f.lines("writeback_queue_io").getFirst()).endsWith(" enqueue=3 reason=periodic cgroup_ino=1");
        assertThat(f.lines("writeback_start").getFirst()).endsWith(" reason=periodic cgroup_ino=1");
        assertThat(f.lines("writeback_single_inode_start").get(1)).startsWith(
                "bdi 8:0: ino=8388609 state=I_DIRTY_PAGES|I_SYNC|I_SYNC_QUEUED ").endsWith(" wrote=0 cgroup_ino=1");
        assertThat(f.lines("writeback_single_inode").get(1)).startsWith(
                "bdi 8:0: ino=8388609 state=I_SYNC|I_SYNC_QUEUED ").endsWith(" to_write=1024 wrote=6 cgroup_ino=1");
        assertThat(f.lines("writeback_write_inode_start").getFirst()).isEqualTo("bdi 8:0: ino=12 sync_mode=0 cgroup_ino=1");
        assertThat(f.wb.inode(WbFixture.SDA1, BDEV_INO)).as("clean: off the lists").isNull();
        assertThat(f.ext4.finishedPlugs).as("blk_finish_plug once, after the round wrote both ext4 inodes")
                .containsExactly(WbFixture.SDA1 + " after 2 by kworker/u16:2");
    }

    @Test
    void anInodeDirtiedWhileQueuedForWritebackKeepsItsPlace() {
        f.write(12, 1);
        f.advanceToSeconds(31.72);
        assertThat(f.wb.inode(WbFixture.SDA1, 12)).isNull();
        f.write(12, 1);
        assertThat(f.wb.lists().bDirty()).containsExactly(12L);
    }
}
