package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ImageFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

class ProbeTest {
    @TempDir
    Path dir;

    @Test
    void probe() {
        Path base = JournalImages.mkfs(dir, "base.img", "64M");
        Ext4JournalLocator.Geometry g = Ext4JournalLocator.read(base);
        System.out.println(g);
        Random rnd = new Random(1);
        try (ImageFile dev = JournalImages.open(base)) {
            JournalWriter w = JournalWriter.open(Ext4JournalLocator.area(dev, g), JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
            List<MetadataBlock> blocks = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                blocks.add(new MetadataBlock(3000 + i, i % 7 == 0 ? JournalImages.escapedBlock(rnd, 4096) : JournalImages.randomBlock(rnd, 4096)));
            }
            System.out.println(w.commit(new Transaction(blocks, List.of(), 1700000000L, 5)));
            System.out.println(w.commit(new Transaction(List.of(new MetadataBlock(4000, JournalImages.randomBlock(rnd, 4096))), List.of(3001L, 3002L), 1700000001L, 5)));
        }
        JournalImages.setNeedsRecovery(base);
        System.out.println(E2fsprogs.debugfs(base, "logdump").output());
        Path a = JournalImages.copy(base, dir.resolve("a.img"));
        Path b = JournalImages.copy(base, dir.resolve("b.img"));
        System.out.println(JournalImages.fsck(a).output());
        try (ImageFile dev = JournalImages.open(b)) {
            System.out.println(Recovery.recover(Ext4JournalLocator.area(dev, g), r -> JournalImages.clearNeedsRecovery(b)));
        }
        System.out.println("after recovery only: " + JournalImages.differences(a, b, 4096));
        System.out.println(JournalImages.fsck(b).output());
        System.out.println("after fsck both: " + JournalImages.differences(a, b, 4096));
    }
}
