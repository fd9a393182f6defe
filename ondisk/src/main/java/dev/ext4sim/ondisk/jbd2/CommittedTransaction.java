package dev.ext4sim.ondisk.jbd2;

/** Where a committed transaction sits in the log: {@code length} blocks from {@code startBlock}, wrapping. */
public record CommittedTransaction(int tid, long startBlock, int length, long commitBlock, int descriptors, int revokeBlocks) {
}
