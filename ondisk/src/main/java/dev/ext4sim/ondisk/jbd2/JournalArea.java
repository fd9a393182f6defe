package dev.ext4sim.ondisk.jbd2;

/**
 * Where the journal lives and how its blocks reach the device ({@code jbd2_journal_bmap} plus the buffer I/O
 * the kernel's journal code does). Journal block numbers are logical blocks of the journal inode; home blocks
 * are filesystem blocks. Writes become durable only at {@link #flush()}, so a caller that wants the kernel's
 * REQ_PREFLUSH|REQ_FUA around the commit block gets it from the order of calls the writer makes.
 */
public interface JournalArea {
    int blockSize();

    /** Journal blocks available (journal inode size / block size); {@code s_maxlen} may not exceed it. */
    long maxlen();

    /** The device block holding journal block {@code journalBlock}; an OnDiskException if it is not mapped. */
    long bmap(long journalBlock);

    byte[] readJournal(long journalBlock);

    void writeJournal(long journalBlock, byte[] block);

    /** Filesystem blocks on the device, to refuse a tag pointing outside it before anything is written. */
    long homeBlocks();

    void writeHome(long homeBlock, byte[] block);

    /** A cache flush: everything written so far is durable. */
    void flush();
}
