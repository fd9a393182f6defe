package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.OnDiskException;

import java.util.Arrays;

/**
 * A loaded journal ({@code journal_t} as far as the on-disk state goes, fs/jbd2/journal.c): the area it lives in
 * and its superblock, validated on load, rewritten by {@link #updateSbLogTail} and {@link #markJournalEmpty}.
 * Not thread-safe; one writer or one recovery owns it.
 */
public final class Journal {
    private final JournalArea area;
    private final byte[] block0;
    private JournalSuperblock sb;

    private Journal(JournalArea area, byte[] block0, JournalSuperblock sb) {
        this.area = area;
        this.block0 = block0;
        this.sb = sb;
    }

    /** {@code journal_load_superblock}: reads and validates journal block 0 against the area. */
    public static Journal load(JournalArea area) {
        if (area.maxlen() < 2) {
            throw new OnDiskException("journal", -1, "area of " + area.maxlen() + " blocks is too small for a journal");
        }
        long dev = area.bmap(0);
        byte[] b = area.readJournal(0);
        JournalSuperblock sb = JournalSuperblock.decode(b, dev);
        if (sb.blockSize() != area.blockSize()) {
            throw JournalSuperblock.error(dev, "block size " + sb.blockSize() + " differs from the filesystem's " + area.blockSize());
        }
        if (sb.maxlen() > area.maxlen()) {
            throw JournalSuperblock.error(dev, "s_maxlen " + sb.maxlen() + " but the journal inode holds only "
                    + area.maxlen() + " blocks (journal too short)");
        }
        return new Journal(area, b, sb);
    }

    public JournalArea area() {
        return area;
    }

    public JournalSuperblock superblock() {
        return sb;
    }

    public int blockSize() {
        return sb.blockSize();
    }

    public TagFormat tagFormat() {
        return sb.tagFormat();
    }

    public int csumSeed() {
        return sb.csumSeed();
    }

    /** The log block after {@code block}: the log is circular over [s_first, s_maxlen). */
    public long next(long block) {
        long n = block + 1;
        return n >= sb.maxlen() ? sb.first() : n;
    }

    /** {@code jbd2_journal_update_sb_log_tail}: the oldest live transaction and where it starts; written and flushed. */
    public void updateSbLogTail(int tailSequence, long tailBlock) {
        writeSuperblock(sb.withLogTail(tailSequence, tailBlock));
    }

    /**
     * {@code jbd2_journal_update_sb_log_tail} with no flush of its own, as the first commit after an empty journal
     * writes it: the journal holds nothing to lose, and the commit block's PREFLUSH makes the tail durable with the
     * log.
     */
    public void updateSbLogTailUnflushed(int tailSequence, long tailBlock) {
        writeSuperblock(sb.withLogTail(tailSequence, tailBlock), false);
    }

    /** {@code jbd2_mark_journal_empty}: {@code s_start = 0} says nothing to replay; {@code s_sequence} = next tid. */
    public void markJournalEmpty(int nextTid) {
        writeSuperblock(sb.withLogTail(nextTid, 0));
    }

    /** Rewrites block 0 with {@code newSb} (bytes past the 1024-byte struct kept) and flushes it. */
    public void writeSuperblock(JournalSuperblock newSb) {
        writeSuperblock(newSb, true);
    }

    private void writeSuperblock(JournalSuperblock newSb, boolean flush) {
        byte[] b = Arrays.copyOf(block0, block0.length);
        System.arraycopy(newSb.encode(), 0, b, 0, JournalSuperblock.SIZE);
        area.writeJournal(0, b);
        if (flush) {
            area.flush();
        }
        System.arraycopy(b, 0, block0, 0, b.length);
        sb = JournalSuperblock.decode(b, area.bmap(0));
    }

    /** An error in log block {@code journalBlock}, naming it and its device block. */
    OnDiskException logError(String structure, long journalBlock, String detail) {
        return new OnDiskException("journal " + structure, journalBlock,
                "journal block " + journalBlock + " is device block " + area.bmap(journalBlock) + "; " + detail);
    }
}
