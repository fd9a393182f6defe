package dev.ext4sim.launcher.chaos;

import dev.ext4sim.ondisk.ImageFile;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.Ext4Journal;
import dev.ext4sim.ondisk.jbd2.RecoveryResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
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
    private static final int CHUNK_BLOCKS = 256;

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

    /** Looks at the image ext4sim recovered before it is removed. */
    interface Inspect {
        void recovered(Path image) throws IOException, InterruptedException;
    }

    /** Recovers two copies of {@code crashImage} and compares them; the copies are removed, the crash image kept. */
    Result check(Path crashImage) throws IOException, InterruptedException {
        return check(crashImage, image -> {
        });
    }

    /** The same, with {@code inspect} shown the image ext4sim recovered once both checks are done. */
    Result check(Path crashImage, Inspect inspect) throws IOException, InterruptedException {
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
            Result result = new Result(transactions, differ, first, e2fsprogs.fsck(ours), e2fsprogs.fsck(theirs));
            inspect.recovered(ours);
            return result;
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

    /** Blocks that differ, outside {@code skip}; the first few in {@code first}. Read a MiB at a time. */
    private static long compare(Path a, Path b, BitSet skip, List<Long> first) throws IOException {
        long differ = 0;
        try (FileChannel x = FileChannel.open(a, StandardOpenOption.READ);
             FileChannel y = FileChannel.open(b, StandardOpenOption.READ)) {
            long blocks = Math.min(x.size(), y.size()) / BLOCK_SIZE;
            ByteBuffer bx = ByteBuffer.allocate(CHUNK_BLOCKS * BLOCK_SIZE);
            ByteBuffer by = ByteBuffer.allocate(CHUNK_BLOCKS * BLOCK_SIZE);
            for (long at = 0; at < blocks; at += CHUNK_BLOCKS) {
                int n = (int) Math.min(CHUNK_BLOCKS, blocks - at);
                readFully(x, bx, at * BLOCK_SIZE, n * BLOCK_SIZE);
                readFully(y, by, at * BLOCK_SIZE, n * BLOCK_SIZE);
                if (Arrays.equals(bx.array(), 0, n * BLOCK_SIZE, by.array(), 0, n * BLOCK_SIZE)) {
                    continue;
                }
                for (int i = 0; i < n; i++) {
                    long block = at + i;
                    if (skip.get(Math.toIntExact(block))) {
                        continue;
                    }
                    int from = i * BLOCK_SIZE;
                    if (!Arrays.equals(bx.array(), from, from + BLOCK_SIZE, by.array(), from, from + BLOCK_SIZE)) {
                        if (first.size() < 8) {
                            first.add(block);
                        }
                        differ++;
                    }
                }
            }
            differ += Math.abs(x.size() - y.size()) / BLOCK_SIZE;
        }
        return differ;
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long at, int len) throws IOException {
        b.clear().limit(len);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw new IOException("image ends at byte " + (at + b.position()));
            }
        }
    }
}
