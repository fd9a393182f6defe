package dev.ext4sim.launcher.chaos;

import dev.ext4sim.ondisk.ImageFile;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.Ext4Journal;
import dev.ext4sim.ondisk.jbd2.RecoveryResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * The image of a device that lost power, as it was on the platter, recovered twice: once by e2fsck's own journal
 * replay ({@code e2fsck -E journal_only}) and once by ext4sim's (the recovery jbd2-service runs). Both must write the
 * same blocks home, and e2fsck -fn must find the filesystem ext4sim recovered clean. Blocks 0 (the superblock, whose
 * counters and times each tool updates its own way) and the journal's own blocks are left out of the comparison.
 */
final class ReplayCheck {
    static final int BLOCK_SIZE = 4096;

    /**
     * @param transactions  what ext4sim's recovery replayed (-1: the image did not need recovery)
     * @param blocksDiffer  blocks outside the superblock and the journal where the two replays differ
     * @param fsckOurs      e2fsck -fn on the image ext4sim recovered; {@code fsckTheirs} on e2fsck's
     */
    record Result(int transactions, long blocksDiffer, List<Long> firstDiffering, E2fsprogs.Result fsckOurs,
                  E2fsprogs.Result fsckTheirs) {
        boolean agree() {
            return blocksDiffer == 0 && fsckOurs.exit() == 0 && fsckTheirs.exit() == 0;
        }

        String summary() {
            return (transactions < 0 ? "nothing to replay" : transactions + " transactions replayed") + "; "
                    + (blocksDiffer == 0 ? "e2fsck's replay and ours wrote the same blocks"
                    : blocksDiffer + " blocks differ between e2fsck's replay and ours (first " + firstDiffering + ")")
                    + "; e2fsck -fn after ours exit " + fsckOurs.exit() + ", after e2fsck's exit " + fsckTheirs.exit();
        }
    }

    private final E2fsprogs e2fsprogs;

    ReplayCheck(E2fsprogs e2fsprogs) {
        this.e2fsprogs = e2fsprogs;
    }

    /** Recovers two copies of {@code crashImage} and compares them; the copies are removed, the crash image kept. */
    Result check(Path crashImage) throws IOException, InterruptedException {
        Path ours = crashImage.resolveSibling(crashImage.getFileName() + ".ext4sim");
        Path theirs = crashImage.resolveSibling(crashImage.getFileName() + ".e2fsck");
        try {
            e2fsprogs.copySparse(crashImage, ours);
            e2fsprogs.copySparse(crashImage, theirs);
            int transactions;
            BitSet journal;
            try (ImageFile dev = ImageFile.open(ours, BLOCK_SIZE)) {
                Optional<RecoveryResult> r = Ext4Journal.recover(dev);
                transactions = r.map(RecoveryResult::transactionsReplayed).orElse(-1);
                dev.flush();
                journal = journalBlocks(Ext4Filesystem.open(dev));
            }
            e2fsprogs.replayJournal(theirs);
            journal.set(0);
            List<Long> first = new ArrayList<>();
            long differ = compare(ours, theirs, journal, first);
            return new Result(transactions, differ, first, e2fsprogs.fsck(ours), e2fsprogs.fsck(theirs));
        } finally {
            Files.deleteIfExists(ours);
            Files.deleteIfExists(theirs);
        }
    }

    private static BitSet journalBlocks(Ext4Filesystem fs) {
        BitSet b = new BitSet();
        fs.journalExtents().forEach(e -> b.set(Math.toIntExact(e.pblk()), Math.toIntExact(e.pblk() + e.len())));
        return b;
    }

    /** Blocks that differ, outside {@code skip}; the first few in {@code first}. */
    private static long compare(Path a, Path b, BitSet skip, List<Long> first) throws IOException {
        long differ = 0;
        try (ImageFile x = ImageFile.open(a, BLOCK_SIZE); ImageFile y = ImageFile.open(b, BLOCK_SIZE)) {
            long blocks = Math.min(x.blocks(), y.blocks());
            byte[] bx = new byte[BLOCK_SIZE];
            byte[] by = new byte[BLOCK_SIZE];
            for (long i = 0; i < blocks; i++) {
                if (skip.get(Math.toIntExact(i))) {
                    continue;
                }
                x.read(i, bx);
                y.read(i, by);
                if (!Arrays.equals(bx, by)) {
                    if (first.size() < 8) {
                        first.add(i);
                    }
                    differ++;
                }
            }
            differ += Math.abs(x.blocks() - y.blocks());
        }
        return differ;
    }
}
