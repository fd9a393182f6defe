package dev.ext4sim.ondisk.jbd2;

import java.util.List;

/**
 * The log blocks of one transaction in the order they are written: revoke blocks, then each descriptor followed
 * by its (escaped) data blocks, and last the commit block, which is kept apart because it must be written only
 * after the others are (durable, with a barrier).
 */
public record TransactionLayout(int tid, List<byte[]> logBlocks, byte[] commitBlock, int descriptors, int revokeBlocks) {
    public TransactionLayout {
        logBlocks = List.copyOf(logBlocks);
    }

    /** Journal blocks the transaction occupies, commit block included. */
    public int length() {
        return logBlocks.size() + 1;
    }
}
