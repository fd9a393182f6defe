package dev.ext4sim.ondisk.jbd2;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ImageFile;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.Ext4Journal;
import dev.ext4sim.ondisk.ext4.Mkfs;
import dev.ext4sim.ondisk.ext4.MkfsOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two halves together, on an image made by our mkfs: files written through the filesystem API with their
 * metadata journaled by our writer (data=ordered), then a crash. {@code e2fsck -fy} on one copy and
 * {@link Ext4Journal#recover} on the other must give the same image, and the files must read back. A clean
 * unmount instead leaves an image e2fsck passes without replaying anything.
 */
class Ext4JournalTest {
    private static final int BS = 4096;

    @TempDir
    Path dir;

    /** Each transaction's files: path → contents. */
    private final Map<String, byte[]> first = new LinkedHashMap<>();
    private final Map<String, byte[]> second = new LinkedHashMap<>();

    @Test
    void committedTransactionsOfOurMkfsImageReplayAsE2fsckReplaysThem() {
        Path img = crashImage(false);

        ReplayComparison.Outcome o = replayBothWays(img);

        assertThat(o.e2fsck().output()).contains("recovering journal");
        assertThat(o.ours().clean()).isTrue();
        assertThat(o.ours().transactionsReplayed()).isEqualTo(2);
        assertFiles(o.ourImage(), first);
        assertFiles(o.ourImage(), second);
    }

    @Test
    void aTornLastCommitIsDiscardedByBothAndTheFirstTransactionSurvives() {
        Path img = crashImage(true);

        ReplayComparison.Outcome o = replayBothWays(img);

        assertThat(o.ours().transactionsReplayed()).isEqualTo(1);
        assertFiles(o.ourImage(), first);
        for (String path : second.keySet()) {
            assertThat(E2fsprogs.debugfs(o.ourImage(), "stat " + path).output()).as(path).contains("File not found");
        }
    }

    @Test
    void aCleanUnmountCheckpointsEmptiesTheJournalAndClearsNeedsRecovery() {
        Path img = mkfs();
        try (ImageFile dev = ImageFile.open(img, BS)) {
            Ext4Journal.Mounted mounted = Ext4Journal.mount(dev);
            assertThat(Ext4Filesystem.open(dev).needsRecovery()).as("set while mounted").isTrue();
            runWorkload(mounted, false);
            mounted.unmount();
        }

        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            assertThat(fs.needsRecovery()).isFalse();
        }
        String header = E2fsprogs.run("dumpe2fs", "-h", img.toString()).output();
        assertThat(header).contains("Journal start:            0").contains("Journal sequence:         0x00000004")
                .contains("journal_checksum_v3");
        E2fsprogs.Result check = E2fsprogs.fsckReadOnly(img);
        assertThat(check.exit()).as(check.output()).isZero();
        assertFiles(img, first);
        assertFiles(img, second);
    }

    @Test
    void aCleanFilesystemWhoseJournalStillHoldsBlocksIsWipedAtMountNotReplayed() {
        Path img = mkfs();
        int next;
        try (ImageFile dev = ImageFile.open(img, BS)) {
            Ext4Journal.Mounted mounted = Ext4Journal.mount(dev);
            runWorkload(mounted, false);
            // checkpointed home and needs_recovery cleared, but the log not marked empty (s_start still points into it)
            mounted.journal().checkpoint();
            next = mounted.journal().nextTid();
            Ext4Filesystem.open(dev).setNeedsRecovery(false);
        }
        assertThat(E2fsprogs.run("dumpe2fs", "-h", img.toString()).output()).doesNotContain("Journal start:            0\n");

        try (ImageFile dev = ImageFile.open(img, BS)) {
            Ext4Journal.Mounted again = Ext4Journal.mount(dev);
            assertThat(again.recovered()).isEmpty();
            assertThat(Integer.compareUnsigned(again.journal().nextTid(), next)).isGreaterThanOrEqualTo(0);
            again.unmount();
        }
        E2fsprogs.Result check = E2fsprogs.fsckReadOnly(img);
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).doesNotContain("journal has data");
        assertFiles(img, first);
        assertFiles(img, second);
    }

    private Path mkfs() {
        Path img = dir.resolve("crash.img");
        Mkfs.format(img, MkfsOptions.defaults().withSize(128L << 20)
                .withUuid(UUID.fromString("3f0c6a52-1d7e-4c1b-a0d2-6b5e9f8a7c31")).withTimestamp(1_700_000_000L));
        return img;
    }

    /** mkfs, mount, two transactions of files and directories, optionally a torn second commit block; no unmount. */
    private Path crashImage(boolean tearSecondCommit) {
        Path img = mkfs();
        try (ImageFile dev = ImageFile.open(img, BS)) {
            Ext4Journal.Mounted mounted = Ext4Journal.mount(dev);
            assertThat(mounted.recovered()).isEmpty();
            runWorkload(mounted, tearSecondCommit);
            // The crash: the buffer cache is dropped, nothing is checkpointed, needs_recovery stays set.
        }
        return img;
    }

    /** Two transactions of files and directories through a buffer cache, committed in data=ordered order. */
    private void runWorkload(Ext4Journal.Mounted mounted, boolean tearSecondCommit) {
        Random rnd = new Random(11);
        BufferCache cache = new BufferCache(mounted.dev());
        Ext4Filesystem fs = Ext4Filesystem.open(cache);
        fs.setClock(1_700_000_100L);
        fs.setMetadataListener(cache::markMetadata);

        fs.mkdir("/a", 0755);
        write(fs, rnd, "/a/one", 5000, first);
        write(fs, rnd, "/hello", 12, first);
        fs.flush();
        cache.commit(mounted.journal(), 1_700_000_101L);

        fs.mkdir("/a/b", 0755);
        write(fs, rnd, "/a/b/two", 300_000, second);
        write(fs, rnd, "/three", 70_000, second);
        fs.flush();
        CommittedTransaction t2 = cache.commit(mounted.journal(), 1_700_000_102L);
        if (tearSecondCommit) {
            mounted.journal().journal().area().writeJournal(t2.commitBlock(), new byte[BS]);
        }
    }

    private static void write(Ext4Filesystem fs, Random rnd, String path, int size, Map<String, byte[]> into) {
        byte[] data = new byte[size];
        rnd.nextBytes(data);
        if (path.equals("/hello")) {
            data = "hello world\n".getBytes(StandardCharsets.US_ASCII);
        }
        int ino = fs.create(path, 0644);
        fs.pwrite(ino, 0, data);
        into.put(path, data);
    }

    private ReplayComparison.Outcome replayBothWays(Path crash) {
        Path a = JournalImages.copy(crash, dir.resolve("by-e2fsck.img"));
        Path b = JournalImages.copy(crash, dir.resolve("by-ext4sim.img"));
        E2fsprogs.Result fsck = JournalImages.fsck(a);
        assertThat(fsck.exit()).as(fsck.output()).isLessThanOrEqualTo(1);

        RecoveryResult ours;
        try (ImageFile dev = ImageFile.open(b, BS)) {
            Optional<RecoveryResult> r = Ext4Journal.recover(dev);
            assertThat(r).as("needs_recovery was set, so recovery ran").isPresent();
            ours = r.orElseThrow();
            assertThat(Ext4Filesystem.open(dev).needsRecovery()).isFalse();
        }
        assertThat(ReplayComparison.differingBlocks(a, b, BS, new long[][] {{ReplayComparison.EXT4_SB, 1024}}))
                .as("outside the ext4 superblock, our replay equals e2fsck's").isEmpty();

        E2fsprogs.Result check = E2fsprogs.run(JournalImages.FAKE_TIME, "e2fsck", "-fn", b.toString());
        assertThat(check.exit()).as(check.output()).isZero();
        E2fsprogs.Result level = JournalImages.fsck(b);
        assertThat(level.output()).doesNotContain("recovering journal");
        assertThat(ReplayComparison.differingBlocks(a, b, BS, new long[][] {
                {ReplayComparison.EXT4_SB + ReplayComparison.S_KBYTES_WRITTEN, 8},
                {ReplayComparison.EXT4_SB + ReplayComparison.S_CHECKSUM, 4}}))
                .as("whole images equal except s_kbytes_written and s_checksum").isEmpty();
        return new ReplayComparison.Outcome(fsck, ours, a, b);
    }

    private static void assertFiles(Path image, Map<String, byte[]> files) {
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            E2fsprogs.Result cat = E2fsprogs.debugfs(image, "cat " + f.getKey());
            assertThat(cat.stdout()).as(f.getKey()).isEqualTo(f.getValue());
        }
    }
}
