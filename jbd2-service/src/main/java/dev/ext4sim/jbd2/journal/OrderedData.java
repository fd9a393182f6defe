package dev.ext4sim.jbd2.journal;

import java.util.List;

/**
 * data=ordered (fs/jbd2/commit.c {@code journal_submit_data_buffers} / {@code journal_finish_inode_data_buffers},
 * which call ext4's {@code j_submit_inode_data_buffers} and {@code j_finish_inode_data_buffers}): in T_FLUSH the
 * commit thread asks the filesystem to write the data of every inode the transaction registered and waits for it,
 * so that no committed metadata points at blocks whose data never reached the device. ext4-service implements it;
 * until then nothing is registered that needs writing here.
 */
@FunctionalInterface
public interface OrderedData {
    OrderedData NONE = (tid, inodes) -> {
    };

    /** Writes and waits the data ranges; throws an ErrnoException (EIO) if it could not. */
    void writeAndWait(int tid, List<InodeRange> inodes);

    /** {@code jbd2_inode} with its dirty range: bytes [start, end] of inode {@code ino}. */
    record InodeRange(long ino, long start, long end) {
    }
}
