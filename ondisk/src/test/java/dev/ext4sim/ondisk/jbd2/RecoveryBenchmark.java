package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.ImageFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prints how long replaying 10,000 journaled blocks takes (target < 2 s); asserts correctness (and equality with
 * e2fsck's replay of the same log), not time.
 */
class RecoveryBenchmark {
    private static final int BLOCKS = 10_000;
    private static final int PER_TRANSACTION = 1_000;

    @TempDir
    Path dir;

    @Test
    void recoveryOfTenThousandBlocks() {
        Path img = JournalImages.mkfs(dir, "bench.img", "256M", "-J", "size=64");
        Ext4JournalLocator.Geometry g = Ext4JournalLocator.read(img);
        assertThat(g.journalBlocks()).isEqualTo(16384);
        Random rnd = new Random(99);
        long firstHome = 20_000; // free data blocks on this image
        try (ImageFile dev = JournalImages.open(img)) {
            JournalWriter w = JournalWriter.open(Ext4JournalLocator.area(dev, g), JournalFeatures.incompatFor(true, true), WriteBarrier.OFF);
            for (int t = 0; t < BLOCKS / PER_TRANSACTION; t++) {
                List<MetadataBlock> blocks = new ArrayList<>();
                for (int i = 0; i < PER_TRANSACTION; i++) {
                    blocks.add(new MetadataBlock(firstHome + (long) t * PER_TRANSACTION + i, JournalImages.randomBlock(rnd, 4096)));
                }
                w.commit(new Transaction(blocks, List.of(), 1_700_000_000L + t, 0));
            }
            dev.flush();
        }
        JournalImages.setNeedsRecovery(img);
        // The same log replayed by e2fsck gives the same image (on copies; timing below is on the original).
        Path cmp = dir.resolve("cmp");
        try {
            java.nio.file.Files.createDirectories(cmp);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ReplayComparison.replayBothWays(img, cmp, true);

        RecoveryResult r;
        long ms;
        try (ImageFile dev = JournalImages.open(img)) {
            long t0 = System.nanoTime();
            r = Recovery.recover(Ext4JournalLocator.area(dev, g), res -> { });
            ms = (System.nanoTime() - t0) / 1_000_000;
        }
        System.out.println("recovery of " + r.blocksReplayed() + " blocks: " + ms + " ms");

        assertThat(r.blocksReplayed()).isEqualTo(BLOCKS);
        assertThat(r.transactionsReplayed()).isEqualTo(BLOCKS / PER_TRANSACTION);
        Random again = new Random(99);
        byte[] first = JournalImages.randomBlock(again, 4096);
        try (ImageFile dev = JournalImages.open(img)) {
            assertThat(dev.read(firstHome)).isEqualTo(first);
        }
    }
}
