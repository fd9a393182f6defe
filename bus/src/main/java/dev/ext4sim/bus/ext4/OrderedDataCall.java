package dev.ext4sim.bus.ext4;

import dev.ext4sim.bus.call.CallType;
import java.util.List;

/**
 * data=ordered across the bus: in T_FLUSH, jbd2's commit thread asks ext4-service to write and wait the data of
 * every inode range the transaction registered ({@code jbd2_journal_inode_ranged_write}), as the kernel's commit
 * calls ext4's {@code j_submit_inode_data_buffers} and {@code j_finish_inode_data_buffers}. The commit writes the
 * transaction's metadata only after this call answered, so no committed metadata points at data that never reached
 * the device. jbd2 makes no call for a transaction that registered no range.
 */
public final class OrderedDataCall {
    public static final String SERVICE = "ext4-service";

    public static final CallType<Request, Reply> CALL =
            CallType.json("ext4_journal_submit_inode_data", 1, Request.class, Reply.class);

    private OrderedDataCall() {
    }

    /** @param dev "sda1"; {@code tid} the committing transaction */
    public record Request(String dev, int tid, List<InodeRange> inodes) {
        public Request {
            inodes = List.copyOf(inodes);
        }
    }

    /** Bytes [start, end] (inclusive, as {@code jbd2_inode}'s i_dirty_start/i_dirty_end) of inode {@code ino}. */
    public record InodeRange(long ino, long start, long end) {
    }

    /** @param ok true once every range's data is on the device (an error answers with EIO instead) */
    public record Reply(boolean ok) {
    }
}
