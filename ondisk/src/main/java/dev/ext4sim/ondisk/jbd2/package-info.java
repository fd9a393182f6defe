/**
 * The JBD2 journal on disk, split as fs/jbd2 is: codecs ({@link dev.ext4sim.ondisk.jbd2.JournalSuperblock},
 * {@link dev.ext4sim.ondisk.jbd2.JournalHeader}, {@link dev.ext4sim.ondisk.jbd2.DescriptorBlock} with
 * {@link dev.ext4sim.ondisk.jbd2.BlockTag}, {@link dev.ext4sim.ondisk.jbd2.RevokeBlock},
 * {@link dev.ext4sim.ondisk.jbd2.CommitBlock}, {@link dev.ext4sim.ondisk.jbd2.JournalChecksum}); where the journal
 * lives ({@link dev.ext4sim.ondisk.jbd2.JournalArea}, {@link dev.ext4sim.ondisk.jbd2.InodeJournalArea}); the
 * superblock bookkeeping of journal.c ({@link dev.ext4sim.ondisk.jbd2.Journal}); commit.c's log layout
 * ({@link dev.ext4sim.ondisk.jbd2.Commit}); checkpoint.c ({@code Checkpoint}); the writer that drives them
 * ({@link dev.ext4sim.ondisk.jbd2.JournalWriter}); recovery.c and revoke.c
 * ({@link dev.ext4sim.ondisk.jbd2.Recovery}, {@code RevokeTable}).
 *
 * <p>Typical use: the ext4 side maps inode 8 to extents and builds an {@code InodeJournalArea}. After a crash
 * (needs_recovery set) it calls {@code Recovery.recover(area, flag)}, whose {@link
 * dev.ext4sim.ondisk.jbd2.RecoveryFlag} clears needs_recovery once the journal is durable and empty. Then
 * {@code JournalWriter.open(area, JournalFeatures.incompatFor(is64bit, metadataCsum), WriteBarrier.ON)},
 * {@code commit(Transaction)} per transaction, {@code checkpoint()} when log space runs low, {@code shutdown()} at
 * unmount.
 */
package dev.ext4sim.ondisk.jbd2;
