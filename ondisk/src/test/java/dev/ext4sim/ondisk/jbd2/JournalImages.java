package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ImageFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Test helpers around real e2fsprogs images: make, flag, copy, compare. */
final class JournalImages {
    /**
     * e2fsck stamps s_lastcheck/s_wtime from E2FSCK_TIME when set, so its runs on two copies write the same
     * bytes. One value for the whole test run, a little after now, so no superblock time looks in the future.
     */
    private static final String NOW = Long.toString(java.time.Instant.now().getEpochSecond() + 60);
    static final Map<String, String> FAKE_TIME = Map.of("E2FSCK_TIME", NOW, "E2FSPROGS_FAKE_TIME", NOW);
    static final byte[] MAGIC = {(byte) 0xC0, 0x3B, 0x39, (byte) 0x98};

    private JournalImages() {
    }

    /** A 64bit + metadata_csum ext4 image with 4 KiB blocks (mkfs.ext4 defaults otherwise). */
    static Path mkfs(Path dir, String name, String size, String... extra) {
        return mkfs(dir, name, size, 4096, extra);
    }

    static Path mkfs(Path dir, String name, String size, int blockSize, String... extra) {
        Path img = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("mke2fs", "-t", "ext4", "-q", "-F", "-b", Integer.toString(blockSize),
                "-O", "^resize_inode,^orphan_file", "-E", "root_owner=0:0", "-U", "6b1b4a8e-0d6e-4b2f-9a3c-2f1e0d9c8b7a"));
        cmd.addAll(List.of(extra));
        cmd.add(img.toString());
        cmd.add(size);
        E2fsprogs.Result r = E2fsprogs.run(FAKE_TIME, cmd.toArray(String[]::new));
        assertThat(r.exit()).as(r.output()).isZero();
        return img;
    }

    static void debugfsWrite(Path img, String request) {
        E2fsprogs.Result r = E2fsprogs.run(FAKE_TIME, "debugfs", "-w", "-R", request, img.toString());
        assertThat(r.output()).doesNotContain("rror");
    }

    static void setNeedsRecovery(Path img) {
        debugfsWrite(img, "feature needs_recovery");
    }

    static void clearNeedsRecovery(Path img) {
        debugfsWrite(img, "feature -needs_recovery");
    }

    static boolean needsRecovery(Path img) {
        return Ext4JournalLocator.superblock(img).needsRecovery();
    }

    static E2fsprogs.Result fsck(Path img) {
        return E2fsprogs.run(FAKE_TIME, "e2fsck", "-fy", img.toString());
    }

    static Path copy(Path from, Path to) {
        try {
            return Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] randomBlock(Random rnd, int size) {
        byte[] b = new byte[size];
        rnd.nextBytes(b);
        return b;
    }

    static byte[] escapedBlock(Random rnd, int size) {
        byte[] b = randomBlock(rnd, size);
        System.arraycopy(MAGIC, 0, b, 0, 4);
        return b;
    }

    static ImageFile open(Path img) {
        return ImageFile.open(img, Ext4JournalLocator.superblock(img).blockSize());
    }
}
