package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.Be;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ImageFile;
import dev.ext4sim.ondisk.OnDiskException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Our writer's logs and debugfs's logs, replayed by e2fsck and by {@link Recovery}: same bytes. */
class E2fsckCrossCheckTest {
    private static final int BS = 4096;
    /** Free data blocks on the 64M image (mke2fs leaves 2057..16383 free); e2fsck does not look inside them. */
    private static final long HOME = 5000;

    @TempDir
    Path dir;

    private final Random rnd = new Random(42);

    private List<MetadataBlock> blocks(long from, int n, int escapeEvery) {
        List<MetadataBlock> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new MetadataBlock(from + i, i % escapeEvery == 0 ? JournalImages.escapedBlock(rnd, BS) : JournalImages.randomBlock(rnd, BS)));
        }
        return out;
    }

    private static Transaction tx(List<MetadataBlock> blocks, List<Long> revoked, long sec) {
        return new Transaction(blocks, revoked, sec, 123_456_789);
    }

    @Test
    void writerTransactionsAcrossTheWrapReplayExactlyAsE2fsckReplaysThem() {
        Path img = JournalImages.mkfs(dir, "crash.img", "64M");
        Ext4JournalLocator.Geometry g = Ext4JournalLocator.read(img);
        assertThat(g.journalBlocks()).isEqualTo(1024);
        List<CommittedTransaction> live = new ArrayList<>();
        try (ImageFile dev = JournalImages.open(img)) {
            JournalWriter w = JournalWriter.open(Ext4JournalLocator.area(dev, g), JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
            // Two checkpointed transactions move the tail to block 607, so the live ones below wrap.
            w.commit(tx(blocks(HOME, 300, 5), List.of(), 1_700_000_000));
            w.checkpoint();
            w.commit(tx(blocks(HOME + 300, 300, 9), List.of(), 1_700_000_001));
            w.checkpoint();
            assertThat(w.tail()).isEqualTo(607);
            // Live: 300 blocks (two descriptors, > 253 tags), then a transaction that revokes some of them and
            // crosses the end of the log, then one that reuses a revoked block.
            live.add(w.commit(tx(blocks(HOME + 1000, 300, 7), List.of(), 1_700_000_002)));
            live.add(w.commit(tx(blocks(HOME + 2000, 280, 3), List.of(HOME + 1010, HOME + 1011, HOME + 5), 1_700_000_003)));
            live.add(w.commit(tx(blocks(HOME + 1010, 1, 1), List.of(HOME + 2001), 1_700_000_004)));
            assertThat(live.get(0).descriptors()).isEqualTo(2);
            assertThat(live.get(1).startBlock() + live.get(1).length()).isGreaterThan(1024); // wrapped
            assertThat(live.get(2).startBlock()).isLessThan(607);
        }
        JournalImages.setNeedsRecovery(img);

        ReplayComparison.Outcome o = ReplayComparison.replayBothWays(img, dir, true);

        assertThat(o.e2fsck().output()).contains("recovering journal");
        RecoveryResult r = o.ours();
        assertThat(r.clean()).isTrue();
        assertThat(r.transactionsReplayed()).isEqualTo(3);
        assertThat(r.endTid()).isEqualTo(live.get(2).tid() + 1);
        assertThat(r.revokeRecords()).isEqualTo(4);
        // 1010 and 1011 from the first live transaction, 2001 from the second: revoked by a later tid.
        assertThat(r.blocksRevoked()).isEqualTo(3);
        assertThat(r.blocksReplayed()).isEqualTo(300 + 280 + 1 - 3);
    }

    @Test
    void aPlainJournalWith1KiBBlocksReplaysAsE2fsckReplaysIt() {
        // No 64bit, no metadata_csum: REVOKE only, 8-byte tags, no checksums anywhere.
        Path img = JournalImages.mkfs(dir, "plain.img", "64M", 1024, "-O", "^64bit,^metadata_csum");
        Ext4JournalLocator.Geometry g = Ext4JournalLocator.read(img);
        assertThat(g.blockSize()).isEqualTo(1024);
        long home = 45_000; // free blocks in group 5
        List<MetadataBlock> first = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            first.add(new MetadataBlock(home + i, i % 10 == 0 ? JournalImages.escapedBlock(rnd, 1024) : JournalImages.randomBlock(rnd, 1024)));
        }
        try (ImageFile dev = JournalImages.open(img)) {
            JournalWriter w = JournalWriter.open(Ext4JournalLocator.area(dev, g), JournalFeatures.incompatFor(false, false), WriteBarrier.ON);
            assertThat(w.journal().superblock().tagFormat().tagBytes()).isEqualTo(8);
            CommittedTransaction c = w.commit(tx(first, List.of(), 1_700_000_000));
            assertThat(c.descriptors()).isEqualTo(2); // a 1 KiB descriptor takes 122 plain tags
            w.commit(tx(List.of(new MetadataBlock(home + 500, JournalImages.randomBlock(rnd, 1024))), List.of(home + 3, home + 4), 1_700_000_001));
        }
        JournalImages.setNeedsRecovery(img);

        ReplayComparison.Outcome o = ReplayComparison.replayBothWays(img, dir, true);

        assertThat(o.ours().clean()).isTrue();
        assertThat(o.ours().blocksReplayed()).isEqualTo(149);
        assertThat(o.ours().blocksRevoked()).isEqualTo(2);
    }

    @Test
    void anEmptyJournalWithNeedsRecoveryOnlyMovesTheSequenceLikeE2fsck() {
        Path img = JournalImages.mkfs(dir, "empty.img", "64M");
        JournalImages.setNeedsRecovery(img);

        ReplayComparison.Outcome o = ReplayComparison.replayBothWays(img, dir, true);

        assertThat(o.ours().transactionsReplayed()).isZero();
        assertThat(o.ours().nextTid()).isEqualTo(2);
    }

    @Test
    void aCleanShutdownLeavesAJournalE2fsckAcceptsWithTheBlocksHome() {
        Path img = JournalImages.mkfs(dir, "clean.img", "64M");
        Ext4JournalLocator.Geometry g = Ext4JournalLocator.read(img);
        List<MetadataBlock> b = blocks(HOME, 20, 4);
        List<MetadataBlock> second = new ArrayList<>();
        try (ImageFile dev = JournalImages.open(img)) {
            JournalWriter w = JournalWriter.open(Ext4JournalLocator.area(dev, g), JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
            w.commit(tx(b, List.of(), 1_700_000_000));
            w.checkpoint();
            second.addAll(blocks(HOME + 100, 5, 2));
            w.commit(tx(second, List.of(HOME + 1), 1_700_000_001));
            w.shutdown();
        }
        E2fsprogs.Result check = E2fsprogs.run(JournalImages.FAKE_TIME, "e2fsck", "-fn", img.toString());
        assertThat(check.exit()).as(check.output()).isZero();
        String dump = E2fsprogs.run("dumpe2fs", "-h", img.toString()).output();
        assertThat(dump).contains("Journal features:         journal_incompat_revoke journal_64bit journal_checksum_v3")
                .contains("Journal sequence:         0x00000004").contains("Journal start:            0")
                .contains("Journal checksum type:    crc32c");
        assertThat(readBlock(img, HOME)).isEqualTo(b.get(0).data());
        // Checkpointed from the caller's copy: the block that was escaped in the log is home with its magic.
        assertThat(readBlock(img, HOME + 100)).isEqualTo(second.get(0).data()).startsWith(JournalImages.MAGIC);
    }

    @Test
    void aMissingOrTornCommitBlockDropsTheTransactionInBoth() {
        for (String damage : List.of("missing", "garbage", "bad checksum")) {
            Path caseDir = dir.resolve(damage.replace(' ', '-'));
            Path img = writeTwoTransactions(caseDir);
            Ext4JournalLocator.Geometry g = Ext4JournalLocator.read(img);
            try (ImageFile dev = JournalImages.open(img)) {
                InodeJournalArea area = Ext4JournalLocator.area(dev, g);
                long commit = findBlock(area, JournalHeader.COMMIT_BLOCK, 3);
                byte[] b = area.readJournal(commit);
                switch (damage) {
                    case "missing" -> b = new byte[BS];
                    case "garbage" -> b = JournalImages.randomBlock(rnd, BS);
                    default -> b[0x40] ^= 1; // inside the commit block, past the checksummed header fields
                }
                area.writeJournal(commit, b);
            }
            JournalImages.setNeedsRecovery(img);

            ReplayComparison.Outcome o = ReplayComparison.replayBothWays(img, caseDir, !damage.equals("bad checksum"));

            assertThat(o.ours().endTid()).as(damage).isEqualTo(3);
            assertThat(o.ours().blocksReplayed()).as(damage).isEqualTo(10);
            if (damage.equals("bad checksum")) {
                assertThat(o.ours().failedCommit()).hasValue(3);
                assertThat(o.e2fsck().output()).contains("Journal transaction 3 was corrupt, replay was aborted.");
            } else {
                assertThat(o.ours().failedCommit()).isEmpty();
            }
        }
    }

    @Test
    void aBadChecksumUnderAnOlderCommitTimeIsStaleForBoth() {
        for (String damage : List.of("commit", "descriptor")) {
            Path caseDir = dir.resolve("stale-" + damage);
            Path img = writeTwoTransactions(caseDir, 999); // tid 3 claims to be older than tid 2
            Ext4JournalLocator.Geometry g = Ext4JournalLocator.read(img);
            try (ImageFile dev = JournalImages.open(img)) {
                InodeJournalArea area = Ext4JournalLocator.area(dev, g);
                long at = findBlock(area, damage.equals("commit") ? JournalHeader.COMMIT_BLOCK : JournalHeader.DESCRIPTOR_BLOCK, 3);
                byte[] b = area.readJournal(at);
                b[0x200] ^= 1;
                area.writeJournal(at, b);
            }
            JournalImages.setNeedsRecovery(img);

            ReplayComparison.Outcome o = ReplayComparison.replayBothWays(img, caseDir, true);

            assertThat(o.ours().clean()).as(damage).isTrue();
            assertThat(o.ours().endTid()).as(damage).isEqualTo(3);
            assertThat(o.e2fsck().output()).as(damage).doesNotContain("corrupt").doesNotContain("checksum error");
        }
    }

    private Path writeTwoTransactions(Path caseDir) {
        return writeTwoTransactions(caseDir, 1_700_000_001);
    }

    /** tid 2: 10 blocks at HOME; tid 3: 10 blocks at HOME + 100. */
    private Path writeTwoTransactions(Path caseDir, long secondCommitTime) {
        try {
            Files.createDirectories(caseDir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Path img = JournalImages.mkfs(caseDir, "crash.img", "64M");
        Ext4JournalLocator.Geometry g = Ext4JournalLocator.read(img);
        try (ImageFile dev = JournalImages.open(img)) {
            JournalWriter w = JournalWriter.open(Ext4JournalLocator.area(dev, g), JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
            assertThat(w.commit(tx(blocks(HOME, 10, 4), List.of(), 1_700_000_000)).tid()).isEqualTo(2);
            assertThat(w.commit(tx(blocks(HOME + 100, 10, 4), List.of(), secondCommitTime)).tid()).isEqualTo(3);
        }
        return img;
    }

    private static long findBlock(JournalArea area, int type, int tid) {
        for (long j = 1; j < area.maxlen(); j++) {
            byte[] b = area.readJournal(j);
            if (JournalHeader.hasMagic(b) && JournalHeader.read(b).blockType() == type && JournalHeader.read(b).sequence() == tid) {
                return j;
            }
        }
        throw new AssertionError("no block of type " + type + " for tid " + tid);
    }

    /** The doc's verified debugfs case: tid 1 logs two blocks (the second escaped), tid 2 revokes the second. */
    private Path debugfsJournal(Path caseDir) throws Exception {
        Files.createDirectories(caseDir);
        Path img = JournalImages.mkfs(caseDir, "crash.img", "64M");
        byte[] data = new byte[2 * BS];
        rnd.nextBytes(data);
        System.arraycopy(JournalImages.MAGIC, 0, data, BS, 4);
        Path file = Files.write(caseDir.resolve("data"), data);
        Path cmds = Files.writeString(caseDir.resolve("cmds"), String.join("\n",
                "jo -c", "jw -b " + HOME + "," + (HOME + 1) + " " + file, "jc", "jo", "jw -r " + (HOME + 1), "jc", ""));
        E2fsprogs.Result r = E2fsprogs.run(JournalImages.FAKE_TIME, "debugfs", "-w", "-f", cmds.toString(), img.toString());
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(JournalImages.needsRecovery(img)).isTrue();
        return img;
    }

    @Test
    void aDebugfsWrittenJournalReplaysAsE2fsckReplaysIt() throws Exception {
        // Full log: block HOME replayed, HOME + 1 revoked by tid 2.
        Path full = debugfsJournal(dir.resolve("full"));
        ReplayComparison.Outcome o = ReplayComparison.replayBothWays(full, dir.resolve("full"), true);
        assertThat(o.ours().endTid()).isEqualTo(3);
        assertThat(o.ours().blocksReplayed()).isEqualTo(1);
        assertThat(o.ours().blocksRevoked()).isEqualTo(1);
        assertThat(readBlock(o.ourImage(), HOME + 1)).isEqualTo(new byte[BS]);

        // tid 2's commit zeroed: tid 2 is not in the log, so both blocks of tid 1 come back, the magic restored.
        Path zeroed = debugfsJournal(dir.resolve("zeroed"));
        overwriteCommit(zeroed, 2, b -> new byte[BS]);
        o = ReplayComparison.replayBothWays(zeroed, dir.resolve("zeroed"), true);
        assertThat(o.ours().endTid()).isEqualTo(2);
        assertThat(o.ours().blocksReplayed()).isEqualTo(2);
        byte[] second = readBlock(o.ourImage(), HOME + 1);
        assertThat(java.util.Arrays.copyOf(second, 4)).isEqualTo(JournalImages.MAGIC);

        // tid 2's commit corrupted: "transaction 2 was corrupt", tid 1 replayed in full.
        Path corrupt = debugfsJournal(dir.resolve("corrupt"));
        overwriteCommit(corrupt, 2, b -> {
            b[0x100] ^= 0x55;
            return b;
        });
        o = ReplayComparison.replayBothWays(corrupt, dir.resolve("corrupt"), false);
        assertThat(o.e2fsck().output()).contains("Journal transaction 2 was corrupt, replay was aborted.");
        assertThat(o.ours().failedCommit()).hasValue(2);
        assertThat(o.ours().blocksReplayed()).isEqualTo(2);
    }

    private void overwriteCommit(Path img, int tid, java.util.function.UnaryOperator<byte[]> change) {
        Ext4JournalLocator.Geometry g = Ext4JournalLocator.read(img);
        try (ImageFile dev = JournalImages.open(img)) {
            InodeJournalArea area = Ext4JournalLocator.area(dev, g);
            long c = findBlock(area, JournalHeader.COMMIT_BLOCK, tid);
            area.writeJournal(c, change.apply(area.readJournal(c)));
        }
    }

    private static byte[] readBlock(Path img, long block) {
        try (ImageFile dev = JournalImages.open(img)) {
            return dev.read(block);
        }
    }

    @Test
    void aGarbageDescriptorIsAnErrorNamingTheBlockAndNothingIsWritten() {
        Path img = writeTwoTransactions(dir.resolve("garbage"));
        Ext4JournalLocator.Geometry g = Ext4JournalLocator.read(img);
        long descriptor;
        long device;
        try (ImageFile dev = JournalImages.open(img)) {
            InodeJournalArea area = Ext4JournalLocator.area(dev, g);
            descriptor = findBlock(area, JournalHeader.DESCRIPTOR_BLOCK, 3);
            device = area.bmap(descriptor);
            byte[] b = area.readJournal(descriptor);
            b[JournalHeader.SIZE] ^= 0x01; // first tag's block number: the tail checksum no longer matches
            area.writeJournal(descriptor, b);
        }
        JournalImages.setNeedsRecovery(img);
        byte[] before = JournalImages.bytes(img);

        try (ImageFile dev = JournalImages.open(img)) {
            assertThatThrownBy(() -> Recovery.recover(Ext4JournalLocator.area(dev, g), r -> {
                throw new AssertionError("flag must stay set");
            }))
                    .isInstanceOf(OnDiskException.class)
                    .hasMessageContaining("journal descriptor block at block " + descriptor)
                    .hasMessageContaining("device block " + device)
                    .hasMessageContaining("transaction 3");
        }
        assertThat(JournalImages.bytes(img)).isEqualTo(before);
        // e2fsck too refuses this log as corrupt rather than replaying it.
        E2fsprogs.Result fsck = JournalImages.fsck(JournalImages.copy(img, dir.resolve("e2fsck.img")));
        assertThat(fsck.output()).contains("Journal checksum error");
    }

    @Test
    void aGarbageDataBlockIsSkippedAndReportedAsE2fsckDoes() {
        Path img = writeTwoTransactions(dir.resolve("data"));
        Ext4JournalLocator.Geometry g = Ext4JournalLocator.read(img);
        long dataBlock;
        try (ImageFile dev = JournalImages.open(img)) {
            InodeJournalArea area = Ext4JournalLocator.area(dev, g);
            dataBlock = findBlock(area, JournalHeader.DESCRIPTOR_BLOCK, 3) + 2; // the second block of tid 3
            area.writeJournal(dataBlock, JournalImages.randomBlock(rnd, BS));
        }
        JournalImages.setNeedsRecovery(img);

        ReplayComparison.Outcome o = ReplayComparison.replayBothWays(img, dir.resolve("data"), false);

        assertThat(o.ours().errors()).singleElement().asString()
                .contains("data block " + (HOME + 101)).contains("journal block " + dataBlock);
        assertThat(o.ours().blocksReplayed()).isEqualTo(19);
        assertThat(o.e2fsck().output()).contains("Journal checksum error");
        // e2fsck leaves s_sequence where it was when recovery failed; so do we.
        assertThat(o.ours().nextTid()).isEqualTo(2);
        assertThat(Be.s32(readBlock(o.ourImage(), Ext4JournalLocator.read(o.ourImage()).extents().getFirst().physical()), 0x18)).isEqualTo(2);
    }
}
