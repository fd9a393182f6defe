package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * data=ordered: blocks allocated inside a handle (nodelalloc, near a full device) register their range with the
 * transaction, and its commit writes that data (in the jbd2 task, through submitInodeData) before the metadata that
 * points at it. So does a truncate's zeroed partial block. Delayed pages are not the commit's business.
 */
class OrderedDataTest {
    @TempDir
    Path dir;

    @Test
    void aTruncateInsideABlockCommitsOnlyWithTheBlocksZeroedTail() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20)) {
            TraceContext w = Ext4Fixture.writer("w", 5);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            byte[] data = new byte[3 * 4096];
            Arrays.fill(data, (byte) '#');
            f.ext4.open(w, ino, true);
            f.ext4.write(w, ino, 0, data, Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(w, ino, false);
            f.journal.commit();

            f.ext4.truncate(w, ino, 4096 + 100);
            int submittedBefore = f.block.submitted().size();
            assertThat(f.journal.commit()).isTrue();
            // the commit of the smaller size wrote the zeroed block first, in the jbd2 task
            List<FakeBlockPort.Submitted> byCommit = f.block.submitted().subList(submittedBefore, f.block.submitted().size());
            assertThat(byCommit).singleElement().satisfies(s -> {
                assertThat(s.comm()).isEqualTo("jbd2/sda1-8");
                assertThat(s.bio().blocks()).isEqualTo(1);
                // what a crash from here on leaves past the new end, for a later extension to show: zeros
                byte[] block = s.bio().data();
                assertThat(Arrays.copyOfRange(block, 0, 100)).containsOnly((byte) '#');
                assertThat(Arrays.copyOfRange(block, 100, 4096)).containsOnly((byte) 0);
            });
            f.ext4.release(w, ino, true);
            f.flushAll();
            f.unmountAndCheck();
            byte[] all = E2fsprogs.debugfs(f.image, "cat /f").stdout();
            assertThat(all).hasSize(4096 + 100);
        }
    }

    @Test
    void theCommitWritesAllocatedDataFirst() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20)) {
            TraceContext w = Ext4Fixture.writer("w", 5);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            byte[] chunk = new byte[64 << 10];
            Arrays.fill(chunk, (byte) 'x');
            long pos = 0;
            while (!f.names("w").contains("ext4_write_begin")) {
                pos = f.ext4.write(w, ino, pos, chunk, Ext4Mount.WriteFlags.NONE).pos();
                assertThat(pos).as("nodelalloc kicks in before the device is full").isLessThan(16L << 20);
            }
            long dirtyBefore = f.ext4.dirtyPages();
            int submittedBefore = f.block.submitted().size();
            assertThat(f.journal.commit()).isTrue();
            List<FakeBlockPort.Submitted> byCommit = f.block.submitted().subList(submittedBefore, f.block.submitted().size());
            assertThat(byCommit).isNotEmpty().allSatisfy(s -> {
                assertThat(s.comm()).isEqualTo("jbd2/sda1-8");
                assertThat(s.bio().flags()).containsExactly(dev.ext4sim.ext4.port.DataBio.BioFlag.SYNC);
            });
            long writtenByCommit = byCommit.stream().mapToLong(s -> s.bio().blocks()).sum();
            // only the allocated pages went; the delayed ones wait for writeback
            assertThat(f.ext4.dirtyPages()).isEqualTo(dirtyBefore - writtenByCommit).isPositive();
            f.flushAll();
            f.unmountAndCheck();
            byte[] all = E2fsprogs.debugfs(f.image, "cat /f").stdout();
            assertThat(all).hasSize((int) pos);
            for (byte b : all) {
                if (b != 'x') {
                    throw new AssertionError("a byte that is not 'x'");
                }
            }
        }
    }
}
