package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.BlockDevice;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ImageFile;
import dev.ext4sim.ondisk.ext4.Ext4;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.SuperBlock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a 6.x commit logs of the superblock: only the first transaction after the mount carries block 0 (the handle of
 * ext4_sample_last_mounted), later ones the bitmaps, descriptors and inodes but not the superblock, whose free counts
 * reach the disk at unmount (ext4_commit_super) and are stale after a crash, as the 6.18 capture and the kernel have
 * them. The 4.x profile logs the superblock with every handle.
 */
class Kernel6xSuperblockTest {
    private static final long SUPERBLOCK = 0;
    /** The primary group descriptor block with 4 KiB blocks. */
    private static final long GDT = 1;
    private static final int S_LAST_MOUNTED = 0x88;

    @TempDir
    Path dir;

    /** open(name, O_CREAT|O_RDWR) and a write of 12 bytes in task {@code pid}. */
    private static void createAndWrite(Ext4Fixture f, int pid, String name) {
        TraceContext demo = Ext4Fixture.writer(SeedTraceTest.DEMO, pid);
        int ino = f.ext4.create(demo, Ext4.ROOT_INO, name, 0644);
        f.ext4.open(demo, ino, true);
        assertThat(f.ext4.write(demo, ino, 0, SeedTraceTest.HELLO, Ext4Mount.WriteFlags.NONE).written()).isEqualTo(12);
    }

    /** The primary superblock as the device holds it. */
    private static SuperBlock onDisk(BlockDevice dev) {
        return SuperBlock.read(dev);
    }

    /** Free blocks and free inodes summed over the device's group descriptors. */
    private static long[] groupSums(BlockDevice dev) {
        Ext4Filesystem fs = Ext4Filesystem.open(dev);
        long blocks = 0;
        long inodes = 0;
        for (int g = 0; g < fs.groupCount(); g++) {
            blocks += fs.group(g).bg_free_blocks_count();
            inodes += fs.group(g).bg_free_inodes_count();
        }
        return new long[] {blocks, inodes};
    }

    private static String lastMounted(SuperBlock sb) {
        byte[] field = Arrays.copyOfRange(sb.raw(), S_LAST_MOUNTED, S_LAST_MOUNTED + 64);
        int end = 0;
        while (end < field.length && field[end] != 0) {
            end++;
        }
        return new String(field, 0, end, StandardCharsets.UTF_8);
    }

    @Test
    void onlyTheFirstTransactionAfterTheMountLogsTheSuperblockAndUnmountWritesTheCounts() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20, KernelProfile.V6X)) {
            long mountFreeInodes = onDisk(f.dev).s_free_inodes_count();
            long mountFreeBlocks = onDisk(f.dev).s_free_blocks_count();

            createAndWrite(f, 1394, "hello");
            assertThat(f.journal.commit()).isTrue();
            createAndWrite(f, 1396, "hello-fsync");
            assertThat(f.journal.commit()).isTrue();
            f.flushAll();
            assertThat(f.journal.commit()).isTrue();

            List<List<Long>> logged = f.journal.logged();
            assertThat(logged).hasSize(3);
            assertThat(logged.get(0)).contains(SUPERBLOCK, GDT);
            assertThat(logged.get(1)).contains(GDT).doesNotContain(SUPERBLOCK);
            assertThat(logged.get(2)).contains(GDT).doesNotContain(SUPERBLOCK);
            // the commits wrote home what they logged: s_last_mounted, but the counts as the mount found them
            SuperBlock committed = onDisk(f.dev);
            assertThat(lastMounted(committed)).isEqualTo(SampleLastMounted.MOUNT_POINT);
            assertThat(committed.s_free_inodes_count()).isEqualTo(mountFreeInodes);
            assertThat(committed.s_free_blocks_count()).isEqualTo(mountFreeBlocks);
            long[] sums = groupSums(f.dev);
            assertThat(sums[1]).isEqualTo(mountFreeInodes - 2);
            assertThat(sums[0]).isLessThan(mountFreeBlocks);

            f.unmountAndCheck();
        }
        try (ImageFile img = ImageFile.open(dir.resolve("sda1.img"), 4096)) {
            long[] sums = groupSums(img);
            SuperBlock clean = onDisk(img);
            assertThat(clean.s_free_blocks_count()).isEqualTo(sums[0]);
            assertThat(clean.s_free_inodes_count()).isEqualTo(sums[1]);
            assertThat(clean.needsRecovery()).isFalse();
        }
    }

    @Test
    void afterACrashTheCountsAreStaleAndTheNextMountTakesThemFromTheGroups() throws Exception {
        Path image = dir.resolve("sda1.img");
        long mountFreeInodes;
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20, KernelProfile.V6X)) {
            mountFreeInodes = onDisk(f.dev).s_free_inodes_count();
            createAndWrite(f, 1394, "hello");
            createAndWrite(f, 1396, "hello-fsync");
            f.flushAll();
            assertThat(f.journal.commit()).isTrue();
        } // power cut: every commit is home (the fake journal checkpoints at commit), no unmount

        Path crashed = dir.resolve("crashed.img");
        Files.copy(image, crashed);
        try (ImageFile img = ImageFile.open(crashed, 4096)) {
            assertThat(onDisk(img).needsRecovery()).isTrue();
            assertThat(onDisk(img).s_free_inodes_count()).isEqualTo(mountFreeInodes);
            assertThat(groupSums(img)[1]).isEqualTo(mountFreeInodes - 2);
        }
        // e2fsck -n answers no to "Free inodes count wrong", a question whose "no" leaves the filesystem valid
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(crashed);
        assertThat(fsck.exit()).as(fsck.output()).isZero();
        assertThat(fsck.output()).contains("Free inodes count wrong (" + mountFreeInodes + ", counted=" + (mountFreeInodes - 2) + ")");

        try (Ext4Fixture f = new Ext4Fixture(image, KernelProfile.V6X)) {
            assertThat(f.ext4.freeBlocks()).isEqualTo(groupSums(f.dev)[0]);
            f.unmountAndCheck();
        }
        try (ImageFile img = ImageFile.open(image, 4096)) {
            assertThat(onDisk(img).s_free_inodes_count()).isEqualTo(mountFreeInodes - 2);
            assertThat(onDisk(img).s_free_blocks_count()).isEqualTo(groupSums(img)[0]);
        }
    }

    @Test
    void the4xProfileLogsTheSuperblockWithEveryHandle() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20, KernelProfile.V4X)) {
            createAndWrite(f, 1394, "hello");
            assertThat(f.journal.commit()).isTrue();
            createAndWrite(f, 1396, "hello-fsync");
            assertThat(f.journal.commit()).isTrue();

            assertThat(f.journal.logged()).hasSize(2).allSatisfy(blocks -> assertThat(blocks).contains(SUPERBLOCK, GDT));
            long[] sums = groupSums(f.dev);
            assertThat(onDisk(f.dev).s_free_inodes_count()).isEqualTo(sums[1]);
            f.unmountAndCheck();
        }
    }
}
