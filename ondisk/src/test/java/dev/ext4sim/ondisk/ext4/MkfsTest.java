package dev.ext4sim.ondisk.ext4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.ondisk.E2fsprogs;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MkfsTest {
    private static final UUID UUID_1 = UUID.fromString("11111111-2222-3333-4444-555555555555");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} MiB, 64bit {1}, flex_bg {2}")
    @CsvSource({"1024, true, false", "1024, false, false", "64, true, false", "200, true, false", "300, false, false",
            "768, true, false", "2000, true, false", "1024, true, true", "200, true, true", "2000, false, true", "5120, true, true", "1025, true, false"})
    void passesE2fsckAndMatchesMke2fsCounts(int mib, boolean bit64, boolean flexBg) throws IOException {
        Path ours = dir.resolve("ours.img");
        Mkfs.format(ours, MkfsOptions.defaults().withSize((long) mib << 20).with64bit(bit64).withFlexBg(flexBg).withUuid(UUID_1).withTimestamp(1_700_000_000L).withLabel("sim"));

        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(ours);
        assertThat(fsck.exit()).as(fsck.output()).isZero();

        Path theirs = dir.resolve("theirs.img");
        try (RandomAccessFile f = new RandomAccessFile(theirs.toFile(), "rw")) {
            f.setLength((long) mib << 20);
        }
        E2fsprogs.Result mk = E2fsprogs.run(Map.of("E2FSPROGS_FAKE_TIME", "1700000000"), "mkfs.ext4", "-q", "-F", "-b", "4096",
                "-O", "^resize_inode,^orphan_file" + (flexBg ? "" : ",^flex_bg") + (bit64 ? "" : ",^64bit"), "-U", UUID_1.toString(), theirs.toString());
        assertThat(mk.exit()).as(mk.output()).isZero();

        Map<String, String> a = header(ours);
        Map<String, String> b = header(theirs);
        assertThat(a.get("Filesystem features")).contains("has_journal", "ext_attr", "filetype", "extent", "sparse_super",
                "large_file", "huge_file", "dir_nlink", "extra_isize", "metadata_csum").doesNotContain("resize_inode", "orphan_file");
        assertThat(a.get("Filesystem features").contains("flex_bg")).isEqualTo(flexBg);
        assertThat(a.get("Filesystem features").contains("64bit")).isEqualTo(bit64);
        assertThat(a.get("Filesystem volume name")).isEqualTo("sim");
        for (String key : new String[] {"Inode count", "Block count", "Reserved block count", "Free blocks", "Free inodes",
                "Blocks per group", "Inodes per group", "Inode blocks per group", "Inode size", "Journal inode", "Total journal blocks",
                "Journal sequence", "Journal start", "Journal features", "Filesystem UUID", "Group descriptor size", "Flex block group size"}) {
            assertThat(a.get(key)).as(key).isEqualTo(b.get(key));
        }
        // Per group: same placement of bitmaps and inode tables, same free ranges and counts.
        assertThat(groupLines(ours)).contains("Free blocks: ", "Inode table at ").isEqualTo(groupLines(theirs));
        // The journal lands where mke2fs puts it (first free block of the middle group).
        String ja = E2fsprogs.debugfs(ours, "ex <8>").output();
        String jb = E2fsprogs.debugfs(theirs, "ex <8>").output();
        assertThat(extentLines(ja)).isEqualTo(extentLines(jb));
        assertThat(E2fsprogs.debugfs(ours, "ls -l /").output()).contains("lost+found");
    }

    @Test
    void isSparseAndFast() throws IOException {
        Path img = dir.resolve("big.img");
        Mkfs.format(img, MkfsOptions.defaults()); // warm
        long t0 = System.nanoTime();
        Mkfs.format(img, MkfsOptions.defaults());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(Files.size(img)).isEqualTo(1L << 30);
        // Sparse: far less than 1 GiB actually allocated (stat %b counts 512-byte units).
        long allocated = Long.parseLong(E2fsprogs.run("stat", "-c", "%b", img.toString()).output().trim());
        assertThat(allocated * 512).isLessThan(8L << 20);
        assertThat(ms).as("mkfs of 1 GiB took %d ms", ms).isLessThan(5000);
    }

    @Test
    void rejectsSizesTooSmallForAJournal() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Mkfs.format(dir.resolve("tiny.img"), MkfsOptions.defaults().withSize(4 << 20)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too small");
    }

    static Map<String, String> header(Path img) {
        E2fsprogs.Result r = E2fsprogs.run("dumpe2fs", "-h", img.toString());
        assertThat(r.exit()).as(r.output()).isZero();
        Map<String, String> m = new HashMap<>();
        for (String line : r.output().split("\n")) {
            int c = line.indexOf(':');
            if (c > 0) {
                m.put(line.substring(0, c).trim(), line.substring(c + 1).trim());
            }
        }
        return m;
    }

    /** dumpe2fs per-group lines without checksums and flags (mke2fs marks groups UNINIT, we write all bitmaps). */
    private static String groupLines(Path img) {
        E2fsprogs.Result r = E2fsprogs.run("dumpe2fs", img.toString());
        assertThat(r.exit()).as(r.output()).isZero();
        StringBuilder sb = new StringBuilder();
        for (String line : r.output().split("\n")) {
            String t = line.trim();
            if (t.startsWith("Group ")) {
                sb.append(t, 0, t.indexOf(')') + 1).append('\n');
            } else if (t.startsWith("Block bitmap at") || t.startsWith("Inode bitmap at")) {
                sb.append(t, 0, t.indexOf(',') < 0 ? t.length() : t.indexOf(',')).append('\n');
            } else if (t.startsWith("Inode table at") || t.startsWith("Free blocks:") || t.startsWith("Free inodes:")
                    || t.contains("free blocks,") || t.contains("superblock at")) {
                sb.append(t).append('\n');
            }
        }
        return sb.toString();
    }

    private static String extentLines(String debugfsEx) {
        StringBuilder sb = new StringBuilder();
        Matcher m = Pattern.compile("(\\d+ - \\d+)\\s+(\\d+ - \\d+)").matcher(debugfsEx);
        while (m.find()) {
            sb.append(m.group(1)).append(" -> ").append(m.group(2)).append('\n');
        }
        return sb.toString();
    }
}
