package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.Be;
import dev.ext4sim.ondisk.ImageFile;
import dev.ext4sim.ondisk.OnDiskException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The stop rules and revoke semantics of ondisk-jbd2.md §10 on crafted logs in memory. */
class RecoveryTest {
    private final Random rnd = new Random(11);

    @TempDir
    Path dir;

    private MetadataBlock block(long home) {
        return new MetadataBlock(home, JournalImages.randomBlock(rnd, 4096));
    }

    private static Transaction tx(List<MetadataBlock> blocks, List<Long> revoked, long sec) {
        return new Transaction(blocks, revoked, sec, 0);
    }

    private static void patch(MemoryJournal j, long journalBlock, java.util.function.Consumer<byte[]> change) {
        byte[] b = j.readJournal(journalBlock);
        change.accept(b);
        j.area.writeJournal(journalBlock, b);
    }

    @Test
    void revokeHidesEarlierCopiesOnlyAndTheNewestCopyWins() {
        MemoryJournal j = new MemoryJournal(128);
        JournalWriter w = JournalWriter.open(j, JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
        MetadataBlock x1 = block(10);
        MetadataBlock y = block(11);
        MetadataBlock x2 = block(10);
        MetadataBlock z1 = block(12);
        MetadataBlock z2 = block(12);
        w.commit(tx(List.of(x1, y, z1), List.of(), 1));          // tid 2
        w.commit(tx(List.of(z2), List.of(10L, 11L), 2));          // tid 3 revokes 10 and 11
        w.commit(tx(List.of(x2), List.of(), 3));                  // tid 4 reuses 10
        w.commit(tx(List.of(), List.of(12L), 4));                 // tid 5 revokes 12 again, after z2 too

        AtomicReference<JournalSuperblock> sbAtHook = new AtomicReference<>();
        RecoveryResult r = Recovery.recover(j, res -> sbAtHook.set(j.superblock()));

        assertThat(j.home(10)).isEqualTo(x2.data());
        assertThat(j.home(11)).isEqualTo(new byte[4096]);
        assertThat(j.home(12)).isEqualTo(new byte[4096]);
        assertThat(r.blocksReplayed()).isEqualTo(1);
        assertThat(r.blocksRevoked()).isEqualTo(4);
        assertThat(r.revokeRecords()).isEqualTo(3);
        assertThat(r.startTid()).isEqualTo(2);
        assertThat(r.endTid()).isEqualTo(6);
        // The hook runs after the superblock is written empty with s_sequence = end + 1.
        assertThat(sbAtHook.get().start()).isZero();
        assertThat(sbAtHook.get().sequence()).isEqualTo(7);
    }

    @Test
    void aBadCommitChecksumWithAnOlderCommitTimeIsStaleNotCorrupt() {
        MemoryJournal j = new MemoryJournal(128);
        JournalWriter w = JournalWriter.open(j, JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
        w.commit(tx(List.of(block(10)), List.of(), 1000));
        CommittedTransaction second = w.commit(tx(List.of(block(11)), List.of(), 999)); // older than the first
        patch(j, second.commitBlock(), b -> b[0x100] ^= 1);

        RecoveryResult r = Recovery.recover(j, RecoveryFlag.NONE);

        assertThat(r.failedCommit()).isEmpty();
        assertThat(r.endTid()).isEqualTo(3);
        assertThat(r.errors()).isEmpty();
        assertThat(j.home(11)).isEqualTo(new byte[4096]);
    }

    @Test
    void aBadDescriptorFollowedByAnOlderCommitIsStaleAndEndsTheLog() {
        MemoryJournal j = new MemoryJournal(128);
        JournalWriter w = JournalWriter.open(j, JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
        MetadataBlock a = block(10);
        w.commit(tx(List.of(a), List.of(), 1000));
        CommittedTransaction second = w.commit(tx(List.of(block(11)), List.of(), 999));
        patch(j, second.startBlock(), b -> b[100] ^= 1);

        RecoveryResult r = Recovery.recover(j, RecoveryFlag.NONE);

        assertThat(r.clean()).isTrue();
        assertThat(r.endTid()).isEqualTo(3);
        assertThat(j.home(10)).isEqualTo(a.data());
    }

    @Test
    void aBadRevokeBlockFollowedByANewerCommitIsCorruptAndNothingIsWritten() {
        MemoryJournal j = new MemoryJournal(128);
        JournalWriter w = JournalWriter.open(j, JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
        w.commit(tx(List.of(block(10)), List.of(), 1000));
        CommittedTransaction second = w.commit(tx(List.of(block(11)), List.of(10L), 1001));
        patch(j, second.startBlock(), b -> b[20] ^= 1);
        j.log.clear();

        assertThatThrownBy(() -> Recovery.recover(j, r -> {
            throw new AssertionError("not reached");
        }))
                .isInstanceOf(OnDiskException.class)
                .hasMessageContaining("journal revoke block at block " + second.startBlock())
                .hasMessageContaining("device block " + j.bmap(second.startBlock()));
        assertThat(j.log).isEmpty();
    }

    @Test
    void aTagPointingOutsideTheFilesystemStopsRecoveryBeforeAnyWrite() {
        MemoryJournal j = new MemoryJournal(128);
        JournalWriter w = JournalWriter.open(j, JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
        w.commit(tx(List.of(block(10)), List.of(), 1));
        CommittedTransaction bad = w.commit(tx(List.of(block(5000)), List.of(), 2));
        j.log.clear();

        assertThatThrownBy(() -> Recovery.recover(j, RecoveryFlag.NONE))
                .hasMessageContaining("journal descriptor block at block " + bad.startBlock())
                .hasMessageContaining("home block 5000, outside the filesystem");
        assertThat(j.log).isEmpty();
    }

    @Test
    void olderTagFormatsReplay() {
        for (int incompat : List.of(0, JournalFeatures.INCOMPAT_REVOKE | JournalFeatures.INCOMPAT_64BIT,
                JournalFeatures.INCOMPAT_REVOKE | JournalFeatures.INCOMPAT_CSUM_V2,
                JournalFeatures.INCOMPAT_REVOKE | JournalFeatures.INCOMPAT_CSUM_V2 | JournalFeatures.INCOMPAT_64BIT)) {
            MemoryJournal j = new MemoryJournal(1100);
            JournalWriter w = JournalWriter.open(j, incompat, WriteBarrier.OFF);
            assertThat(j.superblock().featureIncompat()).isEqualTo(incompat);
            List<MetadataBlock> many = new ArrayList<>();
            for (int i = 0; i < 700; i++) {
                byte[] d = JournalImages.randomBlock(rnd, 4096);
                if (i % 100 == 0) {
                    Be.u32(d, 0, JournalHeader.MAGIC);
                }
                many.add(new MetadataBlock(100 + i, d));
            }
            CommittedTransaction c = w.commit(tx(many, List.of(), 1));
            int per = j.superblock().tagFormat().tagsPerDescriptor(4096);
            assertThat(c.descriptors()).as("incompat %x", incompat).isEqualTo((700 + per - 1) / per);

            // Half the blocks kept from the REPLAY pass, the other half read back and verified again.
            RecoveryResult r = Recovery.recover(j, RecoveryFlag.NONE, 350 * 4096);

            assertThat(r.blocksReplayed()).isEqualTo(700);
            for (MetadataBlock m : many) {
                assertThat(j.home(m.home())).isEqualTo(m.data());
            }
        }
    }

    @Test
    void anEmptyJournalOnlyMovesTheSequenceOnAsE2fsckDoes() {
        MemoryJournal j = new MemoryJournal(64);
        RecoveryResult r = Recovery.recover(j, RecoveryFlag.NONE);
        assertThat(r.transactionsReplayed()).isZero();
        assertThat(j.superblock().sequence()).isEqualTo(2);
        assertThat(j.superblock().start()).isZero();
    }

    @Test
    void superblockProblemsAreRefusedWithTheBlock() {
        MemoryJournal j = new MemoryJournal(64);
        patch(j, 0, b -> Be.u32(b, 0x0C, 1024));
        assertThatThrownBy(() -> Recovery.recover(j, RecoveryFlag.NONE))
                .hasMessageContaining("journal superblock").hasMessageContaining("block size 1024");

        MemoryJournal k = new MemoryJournal(64);
        patch(k, 0, b -> Be.u32(b, 0x10, 65));
        assertThatThrownBy(() -> Recovery.recover(k, RecoveryFlag.NONE))
                .hasMessageContaining("device block " + k.bmap(0)).hasMessageContaining("journal too short");
    }

    @Test
    void aTruncatedImageNamesTheJournalBlockItCouldNotRead() throws Exception {
        Path img = JournalImages.mkfs(dir, "t.img", "64M");
        Ext4JournalLocator.Geometry g = Ext4JournalLocator.read(img);
        try (ImageFile dev = JournalImages.open(img)) {
            JournalWriter w = JournalWriter.open(Ext4JournalLocator.area(dev, g), JournalFeatures.incompatFor(true, true), WriteBarrier.ON);
            w.commit(tx(List.of(block(5000)), List.of(), 1));
        }
        long lastJournalDeviceBlock = g.extents().getLast().physical() + g.extents().getLast().length() - 1;
        try (var ch = java.nio.channels.FileChannel.open(img, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(lastJournalDeviceBlock * 4096);
        }
        try (ImageFile dev = JournalImages.open(img)) {
            assertThatThrownBy(() -> Recovery.recover(Ext4JournalLocator.area(dev, g), RecoveryFlag.NONE))
                    .isInstanceOf(OnDiskException.class)
                    .hasMessageContaining("journal at block " + (g.journalBlocks() - 1))
                    .hasMessageContaining("device block " + lastJournalDeviceBlock)
                    .hasMessageContaining("truncated");
        }
    }
}
