package dev.ext4sim.bus.jbd2;

import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.call.Codecs;
import dev.ext4sim.bus.call.EventType;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * How ext4-service talks to jbd2-service (fs/jbd2's exported API): load the journal at mount, run handles
 * ({@code jbd2_journal_start} … {@code jbd2_journal_stop}), and wait for commits by tid. Every request after
 * {@link #LOAD} carries the epoch that load answered; a request from an older load is refused with ESTALE, so a
 * restarted jbd2-service never applies half of a dead peer's handle. The task of each handle is the call's
 * trace context (the writer, or a kworker), as in the kernel where a handle belongs to the current task.
 */
public final class Jbd2Calls {
    public static final String SERVICE = "jbd2-service";

    /** ext4_load_journal: recover if needed and start kjournald2; idempotent while the journal is healthy. */
    public static final CallType<Load, Loaded> LOAD = CallType.json("jbd2_journal_load", 1, Load.class, Loaded.class);

    /** jbd2__journal_start. */
    public static final CallType<Start, Started> START = CallType.json("jbd2_journal_start", 1, Start.class, Started.class);

    /**
     * jbd2_journal_get_write_access, jbd2_journal_dirty_metadata, jbd2_journal_revoke,
     * jbd2_journal_inode_ranged_write: one operation on an open handle. Version 2 added the inode range fields.
     */
    public static final CallType<BufferOp, Ack> BUFFER = new CallType<>("jbd2_journal_buffer", 2,
            Codecs.framed(BufferHeader.class, BufferOp::header, (h, d) -> new BufferOp(h.epoch(), h.handle(), h.op(), h.block(),
                    h.ino(), h.start(), h.length(), d), BufferOp::data),
            Codecs.json(Ack.class));

    /** jbd2_journal_extend. */
    public static final CallType<Extend, Extended> EXTEND = CallType.json("jbd2_journal_extend", 1, Extend.class, Extended.class);

    /** jbd2_journal_restart: drop out of the transaction and start again on the next one with new credits. */
    public static final CallType<Extend, Started> RESTART = CallType.json("jbd2_journal_restart", 1, Extend.class, Started.class);

    /** jbd2_journal_stop; with {@code sync} it also waits for the transaction's commit, as an O_SYNC handle does. */
    public static final CallType<Stop, Ack> STOP = CallType.json("jbd2_journal_stop", 1, Stop.class, Ack.class);

    /**
     * A whole handle in one round trip: start, the buffer operations in order, stop. The hot path of ext4 when it
     * has every block's new contents at hand; semantics identical to the separate calls. Version 2 added the inode
     * range fields of {@link Op}.
     */
    public static final CallType<RunHandle, Ack> RUN = new CallType<>("jbd2_journal_run_handle", 2,
            Codecs.framed(RunHeader.class, RunHandle::header, (h, d) -> new RunHandle(h.epoch(), h.credits(), h.type(), h.lineNo(), h.sync(), h.ops(), d), RunHandle::data),
            Codecs.json(Ack.class));

    /**
     * Handles ext4 ran locally and queued on its journal pump, sent in the order they stopped: jbd2 applies them one
     * after the other exactly as {@link #RUN} does, each in its owner's task, and answers every handle's tid (or -1
     * for one it refused, with the reason). One batch is in flight per filesystem, so a block logged by two handles
     * reaches jbd2 in ext4's order.
     */
    public static final CallType<RunBatch, BatchAck> RUN_BATCH = new CallType<>("jbd2_journal_run_batch", 1,
            Codecs.framed(BatchHeader.class, RunBatch::header,
                    (h, d) -> new RunBatch(h.epoch(), h.seq(), h.handles(), h.startCommit(), h.orderedDataWritten(), d),
                    RunBatch::data),
            Codecs.json(BatchAck.class));

    /** Log waits: start, wait, complete, force, flush (see {@link Wait}). */
    public static final CallType<Wait, Waited> WAIT = CallType.json("jbd2_log_wait", 1, Wait.class, Waited.class);

    /**
     * Published by jbd2-service after every load that made a new epoch, including the one it runs by itself at
     * start when the filesystem was left needing recovery: ext4 learns the epoch to send without asking.
     */
    public static final EventType<Loaded> LOADED = EventType.json("jbd2_journal_loaded", 1, Loaded.class);

    /** /proc/fs/jbd2/sda1-8/info text. */
    public static final CallType<Info, InfoText> INFO = CallType.json("jbd2_info", 1, Info.class, InfoText.class);

    /**
     * blkdev_writepages of the block device inode (writeback → jbd2, in the flusher's task): the metadata buffers the
     * journal's commits exposed (mark_buffer_dirty) go home, as the flusher's periodic pass writes any inode's pages.
     */
    public static final CallType<BdevWritepages, BdevWritten> BDEV_WRITEPAGES = CallType.json("blkdev_writepages", 1,
            BdevWritepages.class, BdevWritten.class);

    public static final String GET_WRITE_ACCESS = "get_write_access";
    public static final String DIRTY_METADATA = "dirty_metadata";
    public static final String REVOKE = "revoke";
    /** jbd2_journal_forget: a freed block the running transaction must not log, and no revoke record (data=journal). */
    public static final String FORGET = "forget";
    /** jbd2_journal_inode_ranged_write: the transaction may commit only after bytes [start, start+length) of ino are written. */
    public static final String INODE_RANGED_WRITE = "inode_ranged_write";

    /** Commit started by {@code jbd2_log_start_commit(tid)}; returns at once. */
    public static final String LOG_START_COMMIT = "log_start_commit";
    /** {@code jbd2_log_wait_commit(tid)}: until tid is durable. */
    public static final String LOG_WAIT_COMMIT = "log_wait_commit";
    /** {@code jbd2_complete_transaction(tid)}: start it if still running, then wait (fsync). */
    public static final String COMPLETE_TRANSACTION = "complete_transaction";
    /** {@code jbd2_journal_force_commit}: commit whatever is running and wait. */
    public static final String FORCE_COMMIT = "force_commit";
    /** {@code jbd2_journal_flush}: commit everything and checkpoint it home (sync, unmount). */
    public static final String FLUSH = "flush";

    private Jbd2Calls() {
    }

    /**
     * @param dev     "sda1"
     * @param mountId the ext4 instance that mounts (null: any). When another mount id loads a loaded journal, jbd2
     *                commits and checkpoints everything first, so the new mount reads committed metadata at home,
     *                and answers with a new epoch.
     */
    public record Load(String dev, String mountId) {
        public Load(String dev) {
            this(dev, null);
        }
    }

    /**
     * @param epoch          the fence every later request carries
     * @param nextTid        the tid the next transaction gets
     * @param maxTransaction j_max_transaction_buffers: a handle may not ask for more credits
     * @param replayed       transactions replayed by the recovery of this load (0 if the journal was clean)
     * @param powerOn        the device's power-on the journal was loaded under (BlockIo.Completion#powerOn; 0
     *                       unknown): ext4 mounted under another one lost its memory of the device in a power cut
     */
    public record Loaded(long epoch, String dev, int nextTid, int maxTransaction, int replayed, long blocksReplayed,
                         long powerOn) {
        public Loaded(long epoch, String dev, int nextTid, int maxTransaction, int replayed, long blocksReplayed) {
            this(epoch, dev, nextTid, maxTransaction, replayed, blocksReplayed, 0);
        }
    }

    /** @param type handle type (tracepoints.md §4.6), {@code lineNo} the call site. */
    public record Start(long epoch, int credits, int type, int lineNo) {
    }

    public record Started(long handle, int tid) {
    }

    /**
     * @param op get_write_access, dirty_metadata (with the block's new contents in {@code data}), revoke, or
     *           inode_ranged_write (with {@code ino}, {@code start}, {@code length}; {@code block} unused)
     */
    public record BufferOp(long epoch, long handle, String op, long block, long ino, long start, long length, byte[] data) {
        public BufferOp {
            data = data == null ? new byte[0] : data;
        }

        /** A block operation. */
        public BufferOp(long epoch, long handle, String op, long block, byte[] data) {
            this(epoch, handle, op, block, 0, 0, 0, data);
        }

        public static BufferOp inodeRangedWrite(long epoch, long handle, long ino, long start, long length) {
            return new BufferOp(epoch, handle, INODE_RANGED_WRITE, 0, ino, start, length, null);
        }

        BufferHeader header() {
            return new BufferHeader(epoch, handle, op, block, ino, start, length);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof BufferOp b && epoch == b.epoch && handle == b.handle && Objects.equals(op, b.op)
                    && block == b.block && ino == b.ino && start == b.start && length == b.length && Arrays.equals(data, b.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(epoch, handle, op, block, ino, start, length, Arrays.hashCode(data));
        }

        @Override
        public String toString() {
            return "BufferOp[epoch=" + epoch + ", handle=" + handle + ", op=" + op + ", block=" + block
                    + (INODE_RANGED_WRITE.equals(op) ? ", ino=" + ino + ", start=" + start + ", length=" + length : "")
                    + ", data=" + data.length + " bytes]";
        }
    }

    record BufferHeader(long epoch, long handle, String op, long block, long ino, long start, long length) {
    }

    public record Ack(int tid) {
    }

    public record Extend(long epoch, long handle, int blocks) {
    }

    /** @param extended false when the transaction cannot grow: restart the handle (jbd2_journal_extend > 0) */
    public record Extended(boolean extended, int tid) {
    }

    public record Stop(long epoch, long handle, boolean sync) {
    }

    /**
     * One operation of {@link RunHandle}; a dirty_metadata takes the next block-size slice of the data, an
     * inode_ranged_write names bytes [start, start+length) of inode {@code ino}.
     */
    public record Op(String op, long block, long ino, long start, long length) {
        public Op(String op, long block) {
            this(op, block, 0, 0, 0);
        }

        public static Op inodeRangedWrite(long ino, long start, long length) {
            return new Op(INODE_RANGED_WRITE, 0, ino, start, length);
        }
    }

    public record RunHandle(long epoch, int credits, int type, int lineNo, boolean sync, List<Op> ops, byte[] data) {
        public RunHandle {
            ops = List.copyOf(ops);
            data = data == null ? new byte[0] : data;
        }

        RunHeader header() {
            return new RunHeader(epoch, credits, type, lineNo, sync, ops);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RunHandle r && epoch == r.epoch && credits == r.credits && type == r.type
                    && lineNo == r.lineNo && sync == r.sync && ops.equals(r.ops) && Arrays.equals(data, r.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(epoch, credits, type, lineNo, sync, ops, Arrays.hashCode(data));
        }

        @Override
        public String toString() {
            return "RunHandle[epoch=" + epoch + ", credits=" + credits + ", type=" + type + ", ops=" + ops + ", data=" + data.length + " bytes]";
        }
    }

    record RunHeader(long epoch, int credits, int type, int lineNo, boolean sync, List<Op> ops) {
    }

    /**
     * One handle of a {@link RunBatch}: what {@link RunHandle} carries, plus its owner task and trace id and when it
     * started and stopped on the shared trace clock.
     */
    public record BatchEntry(int credits, int type, int lineNo, List<Op> ops, String comm, int pid, String traceId,
                             long startedNanos, long stoppedNanos) {
        public BatchEntry {
            ops = List.copyOf(ops);
        }
    }

    /**
     * @param seq  the sender's batch number, increasing within an epoch (0: none): a batch sent again after a timeout
     *             is answered from the first attempt if that was applied, and an attempt older than an applied batch
     *             is refused, so a late duplicate never puts older buffer contents after newer ones
     * @param startCommit an fsync waits for the commit of a handle here: jbd2_log_start_commit of the last handle's
     *                    transaction once the batch is applied, as the fsync's own wait would a round trip later
     * @param orderedDataWritten with startCommit: when the fsync asked, ext4 had no dirty page over an allocated block,
     *                    so that commit's T_FLUSH has no data to write and needs no ext4_journal_submit_inode_data call
     *                    (unless a handle registers another inode range before it begins)
     * @param data the dirty_metadata blocks of every handle, in order
     */
    public record RunBatch(long epoch, long seq, List<BatchEntry> handles, boolean startCommit,
                           boolean orderedDataWritten, byte[] data) {
        public RunBatch {
            handles = List.copyOf(handles);
            data = data == null ? new byte[0] : data;
        }

        public RunBatch(long epoch, long seq, List<BatchEntry> handles, boolean startCommit, byte[] data) {
            this(epoch, seq, handles, startCommit, false, data);
        }

        public RunBatch(long epoch, long seq, List<BatchEntry> handles, byte[] data) {
            this(epoch, seq, handles, false, data);
        }

        public RunBatch(long epoch, List<BatchEntry> handles, byte[] data) {
            this(epoch, 0, handles, data);
        }

        BatchHeader header() {
            return new BatchHeader(epoch, seq, handles, startCommit, orderedDataWritten);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RunBatch r && epoch == r.epoch && seq == r.seq && handles.equals(r.handles)
                    && startCommit == r.startCommit && orderedDataWritten == r.orderedDataWritten
                    && Arrays.equals(data, r.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(epoch, seq, handles, startCommit, orderedDataWritten, Arrays.hashCode(data));
        }

        @Override
        public String toString() {
            return "RunBatch[epoch=" + epoch + ", seq=" + seq + ", handles=" + handles.size()
                    + (startCommit ? ", startCommit" : "") + (orderedDataWritten ? ", orderedDataWritten" : "")
                    + ", data=" + data.length + " bytes]";
        }
    }

    /** startCommit and orderedDataWritten absent (an older sender) read as false. */
    record BatchHeader(long epoch, long seq, List<BatchEntry> handles, boolean startCommit, boolean orderedDataWritten) {
    }

    /**
     * @param tids           each handle's tid in batch order, -1 for a handle refused (see {@code errors})
     * @param errors         per handle: null, or why it was refused
     * @param commitSequence j_commit_sequence when the batch was applied
     * @param barrier        for a batch that started a commit: jbd2_trans_will_send_data_barrier of that transaction,
     *                       judged before the commit began, so after the data its fsync wrote; else null
     */
    public record BatchAck(List<Integer> tids, List<String> errors, int commitSequence, Boolean barrier) {
        public BatchAck(List<Integer> tids, List<String> errors, int commitSequence) {
            this(tids, errors, commitSequence, null);
        }
    }

    /** @param action one of the constants above; {@code tid} ignored by force_commit and flush */
    public record Wait(long epoch, String action, int tid) {
    }

    /**
     * @param commitSequence the last committed tid (j_commit_sequence) when the wait returned
     * @param barrier        complete_transaction only: whether the commit issued its cache flush after the call began
     *                       ({@code jbd2_trans_will_send_data_barrier}), so the caller's earlier data is durable; null
     *                       for the other waits
     */
    public record Waited(int commitSequence, Boolean barrier) {
        public Waited(int commitSequence) {
            this(commitSequence, null);
        }
    }

    public record Info(String dev) {
    }

    public record InfoText(String path, String text) {
    }

    /** The writeback_control of the flusher's pass; {@code dev} is the filesystem's partition ("sda1"). */
    public record BdevWritepages(String dev, int syncMode, long nrToWrite, boolean forKupdate, boolean forBackground,
                                 boolean rangeCyclic, long rangeStart, long rangeEnd) {
    }

    /** Pages written (nr_to_write went down by it), whether pages are still dirty, and the mapping's writeback_index. */
    public record BdevWritten(long pagesWritten, boolean stillDirty, long writebackIndex) {
    }
}
