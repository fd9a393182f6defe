package dev.ext4sim.ondisk.ext4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.ondisk.E2fsprogs;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prints how long things take; asserts only that the results are valid, never a time. */
class Ext4Benchmark {
    @TempDir
    Path dir;

    @Test
    void mkfsOneGiB() {
        Path img = dir.resolve("bench.img");
        Mkfs.format(img, MkfsOptions.defaults());
        int runs = 5;
        long best = Long.MAX_VALUE;
        long total = 0;
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            Mkfs.format(img, MkfsOptions.defaults());
            long t = System.nanoTime() - t0;
            best = Math.min(best, t);
            total += t;
        }
        System.out.printf("mkfs 1 GiB: %d ms (best of %d; mean %d ms)%n", best / 1_000_000, runs, total / runs / 1_000_000);
        assertThat(E2fsprogs.fsckReadOnly(img).exit()).isZero();
    }

    @Test
    void createAndWriteFiles() {
        Path img = dir.resolve("bench-files.img");
        Mkfs.format(img, MkfsOptions.defaults());
        byte[] chunk = new byte[64 * 1024];
        long t0 = System.nanoTime();
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            fs.mkdir("/b", 0755);
            for (int i = 0; i < 200; i++) {
                int ino = fs.create("/b/file" + i, 0644);
                for (int k = 0; k < 4; k++) {
                    fs.append(ino, chunk);
                }
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("create 200 files of 256 KiB (50 MiB) and flush: %d ms%n", ms);
        assertThat(E2fsprogs.fsckReadOnly(img).exit()).isZero();
    }
}
