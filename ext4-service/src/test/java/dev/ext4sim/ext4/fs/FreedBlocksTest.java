package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blocks freed by a truncate are not handed to another file before the truncate's transaction commits: a crash in
 * between brings the old file back, and its blocks must still hold its own data.
 */
class FreedBlocksTest {
    @TempDir
    Path dir;

    private static Set<Long> dataBlocks(Ext4Fixture f, String comm) {
        Set<Long> out = new HashSet<>();
        for (FakeBlockPort.Submitted s : f.block.submitted()) {
            if (s.comm().equals(comm)) {
                for (int i = 0; i < s.bio().blocks(); i++) {
                    out.add(s.bio().block() + i);
                }
            }
        }
        return out;
    }

    @Test
    void freedBlocksWaitForTheCommit() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext a = Ext4Fixture.writer("a", 1);
            TraceContext b = Ext4Fixture.writer("b", 2);
            int fa = f.ext4.create(a, Ext4.ROOT_INO, "a", 0644);
            f.ext4.write(a, fa, 0, new byte[64 * 4096], Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(a, fa, false);
            Set<Long> aBlocks = dataBlocks(f, "a");
            assertThat(aBlocks).hasSize(64);

            f.ext4.truncate(a, fa, 0); // frees a's blocks in a transaction that does not commit yet
            int fb = f.ext4.create(b, Ext4.ROOT_INO, "b", 0644);
            f.ext4.write(b, fb, 0, new byte[64 * 4096], Ext4Mount.WriteFlags.NONE);
            f.sink.clear();
            // b's writeback in b's task, without a commit in between
            f.ext4.writepages(b, fb, dev.ext4sim.ext4.port.WritebackControl.fsync(0, Long.MAX_VALUE));
            Set<Long> bBlocks = dataBlocks(f, "b");
            assertThat(bBlocks).hasSize(64).doesNotContainAnyElementsOf(aBlocks);

            f.journal.commit(); // now they may go
            int fc = f.ext4.create(b, Ext4.ROOT_INO, "c", 0644);
            f.ext4.write(b, fc, 0, new byte[64 * 4096], Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(b, fc, false);
            Set<Long> cBlocks = dataBlocks(f, "b");
            cBlocks.removeAll(bBlocks);
            assertThat(cBlocks).containsAnyElementsOf(aBlocks);
            f.unmountAndCheck();
        }
    }
}
