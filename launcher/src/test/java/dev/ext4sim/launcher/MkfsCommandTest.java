package dev.ext4sim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.ondisk.E2fsprogs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MkfsCommandTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final MkfsCommand mkfs = new MkfsCommand(new PrintStream(printed, true, StandardCharsets.UTF_8));

    private String output() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theDefaultImageIsAOneGibExt4ThatE2fsckPasses() throws Exception {
        Path image = dir.resolve("home/sda.img");

        int exit = mkfs.run(List.of("--label", "ext4sim"), image, false);

        assertThat(exit).as(output()).isZero();
        assertThat(Files.size(image)).isEqualTo(1L << 30);
        assertThat(output()).contains("262144 4k blocks and 65536 inodes", "Superblock backups stored on blocks: 32768, 98304",
                "Journal (inode 8): 8192 blocks", "e2fsck -fn " + image);
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(image);
        assertThat(fsck.exit()).as(fsck.output()).isZero();
        String header = E2fsprogs.run("dumpe2fs", "-h", image.toString()).output();
        assertThat(header).contains("Filesystem volume name:   ext4sim");
        assertThat(header).containsPattern("Filesystem features:\\s+has_journal ext_attr filetype extent 64bit sparse_super "
                + "large_file huge_file dir_nlink extra_isize metadata_csum");
    }

    @Test
    void sizeAndUuidAreTaken() {
        Path image = dir.resolve("small.img");

        int exit = mkfs.run(List.of(image.toString(), "--size", "64M", "--uuid", "0b5e3f5c-8a41-4c3e-9f0e-2d6b7a1c4e59"),
                dir.resolve("unused.img"), false);

        assertThat(exit).as(output()).isZero();
        assertThat(output()).contains("16384 4k blocks", "Filesystem UUID: 0b5e3f5c-8a41-4c3e-9f0e-2d6b7a1c4e59");
        assertThat(E2fsprogs.fsckReadOnly(image).exit()).isZero();
    }

    @Test
    void anExistingImageIsKeptUnlessForced() throws Exception {
        Path image = dir.resolve("keep.img");
        Files.writeString(image, "precious");

        assertThat(mkfs.run(List.of(image.toString(), "--size", "64M"), image, false)).isEqualTo(1);
        assertThat(output()).contains("exists; pass --force");
        assertThat(Files.readString(image)).isEqualTo("precious");

        assertThat(mkfs.run(List.of(image.toString(), "--size", "64M", "--force"), image, false)).isZero();
        assertThat(E2fsprogs.fsckReadOnly(image).exit()).isZero();
    }

    @Test
    void badArgumentsChangeNothingAndSayWhatIsExpected() {
        Path image = dir.resolve("bad.img");

        assertThat(mkfs.run(List.of(image.toString(), "--size", "lots"), image, false)).isEqualTo(2);
        assertThat(mkfs.run(List.of(image.toString(), "--uuid", "not-a-uuid"), image, false)).isEqualTo(2);
        assertThat(mkfs.run(List.of(image.toString(), "--size", "4M"), image, false)).isEqualTo(1);
        assertThat(mkfs.run(List.of("--bogus"), image, false)).isEqualTo(2);

        assertThat(output()).contains("K, M, G or T", "usage: ./ext4sim mkfs", "unknown option --bogus");
        assertThat(image).doesNotExist();
    }

    @Test
    void theRunningStacksDiskIsRefused() {
        Path image = dir.resolve("sda.img");

        assertThat(mkfs.run(List.of(), image, true)).isEqualTo(1);

        assertThat(output()).contains("run ./ext4sim down first");
        assertThat(image).doesNotExist();
    }
}
