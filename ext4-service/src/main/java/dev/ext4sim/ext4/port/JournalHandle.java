package dev.ext4sim.ext4.port;

/**
 * A jbd2 handle as ext4 drives it (fs/jbd2/transaction.c). Calls may be buffered by the adapter and sent with
 * {@link #stop}; ext4 never needs an answer before stop, and stop itself need not have reached jbd2 when it returns.
 */
public interface JournalHandle {
    /** jbd2_journal_get_write_access: the handle is about to change {@code block}. */
    void getWriteAccess(long block);

    /** jbd2_journal_dirty_metadata: {@code block}'s new 4 KiB contents belong to this handle's transaction. */
    void dirtyMetadata(long block, byte[] contents);

    /** jbd2_journal_revoke: {@code block} was freed; older journaled copies must not be replayed over it. */
    void revoke(long block);

    /**
     * jbd2_journal_forget: {@code block} was freed under full data journalling, where ext4_forget revokes nothing; the
     * transaction drops its copy of the block, if it holds one.
     */
    void forget(long block);

    /** jbd2_journal_inode_ranged_write: the transaction commits only after bytes [start, start+length) of ino are written. */
    void inodeRangedWrite(long ino, long start, long length);

    /** jbd2_journal_stop; the tid may resolve later. */
    JournalTid stop();
}
