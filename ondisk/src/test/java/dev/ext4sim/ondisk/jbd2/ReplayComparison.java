package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ImageFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replays one crash image twice — with {@code e2fsck -fy} and with {@link Recovery} — and compares the results.
 *
 * <p>What is compared, and why not simply the whole files:
 * <ol>
 *   <li>Right after our recovery (needs_recovery cleared by the {@link RecoveryFlag} hook, here through debugfs),
 *       everything outside the primary ext4 superblock must already be byte-identical to e2fsck's image: every
 *       home block, the journal superblock, the log, bitmaps, inodes. The ext4 superblock differs in fields
 *       e2fsck's full check writes (s_lastcheck, s_wtime, ...), which are not recovery's business.</li>
 *   <li>Then {@code e2fsck -fy} runs on our image too, after {@code e2fsck -fn} found nothing to fix (when the
 *       case is clean), so it only does e2fsck's superblock bookkeeping. After it the images are identical except
 *       {@code s_kbytes_written} (0x178), which counts the bytes e2fsck itself wrote — on its copy that includes
 *       the replayed blocks — and the superblock checksum (0x3FC) that covers it.</li>
 * </ol>
 */
final class ReplayComparison {
    static final int EXT4_SB = 1024;
    static final int S_KBYTES_WRITTEN = 0x178;
    static final int S_CHECKSUM = 0x3FC;

    record Outcome(E2fsprogs.Result e2fsck, RecoveryResult ours, Path e2fsckImage, Path ourImage) {
    }

    private ReplayComparison() {
    }

    /** Blocks where the two images differ, ignoring the byte ranges {offset, length} in {@code masks}. */
    static List<String> differingBlocks(Path a, Path b, int blockSize, long[][] masks) {
        List<String> out = new java.util.ArrayList<>();
        try (FileChannel x = FileChannel.open(a); FileChannel y = FileChannel.open(b)) {
            assertThat(x.size()).isEqualTo(y.size());
            ByteBuffer bx = ByteBuffer.allocate(blockSize);
            ByteBuffer by = ByteBuffer.allocate(blockSize);
            for (long block = 0; block * blockSize < x.size(); block++) {
                bx.clear();
                by.clear();
                x.read(bx, block * blockSize);
                y.read(by, block * blockSize);
                byte[] p = bx.array();
                byte[] q = by.array();
                for (long[] m : masks) {
                    long from = Math.max(m[0], block * blockSize);
                    long to = Math.min(m[0] + m[1], (block + 1) * blockSize);
                    for (long i = from; i < to; i++) {
                        p[(int) (i - block * blockSize)] = 0;
                        q[(int) (i - block * blockSize)] = 0;
                    }
                }
                int at = Arrays.mismatch(p, q);
                if (at >= 0 && out.size() < 20) {
                    out.add("block " + block + " from byte 0x" + Integer.toHexString(at));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static Outcome replayBothWays(Path crashImage, Path dir, boolean expectCleanFilesystem) {
        Path a = JournalImages.copy(crashImage, dir.resolve("by-e2fsck.img"));
        Path b = JournalImages.copy(crashImage, dir.resolve("by-recovery.img"));
        E2fsprogs.Result fsck = JournalImages.fsck(a);
        assertThat(fsck.exit()).as(fsck.output()).isLessThanOrEqualTo(1);

        Ext4JournalLocator.Geometry g = Ext4JournalLocator.read(b);
        RecoveryResult ours;
        try (ImageFile dev = JournalImages.open(b)) {
            ours = Recovery.recover(Ext4JournalLocator.area(dev, g), r -> JournalImages.clearNeedsRecovery(b));
        }
        assertThat(JournalImages.needsRecovery(b)).isFalse();

        // Everything but the 1024 bytes of the primary ext4 superblock.
        assertThat(differingBlocks(a, b, g.blockSize(), new long[][] {{EXT4_SB, 1024}}))
                .as("outside the ext4 superblock, our replay equals e2fsck's").isEmpty();

        if (expectCleanFilesystem) {
            E2fsprogs.Result check = E2fsprogs.run(JournalImages.FAKE_TIME, "e2fsck", "-fn", b.toString());
            assertThat(check.exit()).as(check.output()).isZero();
        }
        E2fsprogs.Result level = JournalImages.fsck(b);
        assertThat(level.output()).doesNotContain("recovering journal");

        assertThat(differingBlocks(a, b, g.blockSize(), new long[][] {
                {EXT4_SB + S_KBYTES_WRITTEN, 8}, {EXT4_SB + S_CHECKSUM, 4}}))
                .as("whole images equal except s_kbytes_written and s_checksum").isEmpty();
        return new Outcome(fsck, ours, a, b);
    }
}
