package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.BlockDevice;
import dev.ext4sim.ondisk.jbd2.InodeJournalArea;
import dev.ext4sim.ondisk.jbd2.JournalExtent;
import dev.ext4sim.ondisk.jbd2.JournalFeatures;
import dev.ext4sim.ondisk.jbd2.JournalWriter;
import dev.ext4sim.ondisk.jbd2.Recovery;
import dev.ext4sim.ondisk.jbd2.RecoveryResult;
import dev.ext4sim.ondisk.jbd2.WriteBarrier;
import java.util.List;
import java.util.Optional;

/**
 * ext4's side of its journal (fs/ext4/super.c): {@code ext4_get_journal} finds it through inode 8,
 * {@code ext4_load_journal} replays it when the superblock says needs_recovery, a read-write mount sets
 * needs_recovery for as long as it is mounted, and {@code ext4_put_super} empties the journal and clears it.
 */
public final class Ext4Journal {
    /** EXT2_ERROR_FS in s_state: e2fsck sets it when a corrupt commit cut the replay short. */
    static final int EXT4_ERROR_FS = 0x2;

    private Ext4Journal() {
    }

    /** ext4_get_journal: the journal's blocks as inode 8 maps them. */
    public static InodeJournalArea area(Ext4Filesystem fs) {
        List<JournalExtent> extents = fs.journalExtents().stream()
                .map(e -> new JournalExtent(e.lblk(), e.pblk(), e.len()))
                .toList();
        return new InodeJournalArea(fs.device(), extents, fs.journalBlocks());
    }

    /**
     * ext4_load_journal: replays the journal of the filesystem on {@code dev} if it needs recovery, then clears
     * needs_recovery (and marks the filesystem with errors if a commit was corrupt, as e2fsck does). Open the
     * {@link Ext4Filesystem} afterwards: replay rewrites metadata under any instance opened before.
     *
     * @return what was replayed; empty when the filesystem did not need recovery
     */
    public static Optional<RecoveryResult> recover(BlockDevice dev) {
        Ext4Filesystem before = Ext4Filesystem.open(dev);
        if (!before.needsRecovery()) {
            return Optional.empty();
        }
        return Optional.of(Recovery.recover(area(before), result -> {
            // The log may have carried the superblock itself: read it again rather than write back a stale copy.
            Ext4Filesystem after = Ext4Filesystem.open(dev);
            if (result.failedCommit().isPresent()) {
                after.superBlock().s_state(after.superBlock().s_state() | EXT4_ERROR_FS);
            }
            after.setNeedsRecovery(false);
        }));
    }

    /**
     * A read-write mount: replay if needed, set needs_recovery (it stays set until {@link Mounted#unmount}), and
     * open the journal for writing with the features the kernel turns on for this filesystem. The caller opens
     * its {@link Ext4Filesystem} on whatever it stacks over {@code dev} (a buffer cache, say) and sends every
     * metadata change through the journal.
     */
    public static Mounted mount(BlockDevice dev) {
        Optional<RecoveryResult> recovered = recover(dev);
        Ext4Filesystem fs = Ext4Filesystem.open(dev);
        if (recovered.isEmpty()) {
            // ext4_load_journal without needs_recovery: jbd2_journal_wipe drops what the log still holds
            Recovery.skip(area(fs));
        }
        fs.setNeedsRecovery(true);
        JournalWriter writer = JournalWriter.open(area(fs),
                JournalFeatures.incompatFor(fs.is64bit(), fs.hasMetadataCsum()), WriteBarrier.ON);
        return new Mounted(dev, writer, recovered);
    }

    /** A filesystem mounted read-write, with its journal open. */
    public record Mounted(BlockDevice dev, JournalWriter journal, Optional<RecoveryResult> recovered) {
        /**
         * ext4_put_super, once every change is committed: checkpoint everything, empty the journal, then clear
         * needs_recovery in the superblock as the checkpoint left it.
         */
        public void unmount() {
            journal.shutdown();
            Ext4Filesystem.open(dev).setNeedsRecovery(false);
        }
    }
}
