package dev.ext4sim.jbd2.remote;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.call.CallContext;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.jbd2.journal.BdevWbc;
import dev.ext4sim.jbd2.journal.Handle;
import dev.ext4sim.jbd2.journal.Jbd2Trace;
import dev.ext4sim.jbd2.journal.Journal;
import dev.ext4sim.jbd2.journal.ProcInfo;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The {@link Jbd2Calls} served over the bus: each request is checked against the loaded journal's epoch, then
 * runs the kernel function of the same name on {@link Journal}. A handle belongs to the task in the call's trace
 * context, as a kernel handle belongs to {@code current}. Requests are validated before they touch the journal:
 * bad input gets EINVAL (or ENOSPC for credits) and changes nothing.
 */
public final class Jbd2Server {
    private final JournalHost host;
    /** Batches are applied one at a time, and a batch number is remembered per epoch (see RunBatch.seq). */
    private final java.util.concurrent.locks.ReentrantLock batchLock = new java.util.concurrent.locks.ReentrantLock();
    private long batchEpoch;
    private long lastBatchSeq;
    private Jbd2Calls.BatchAck lastBatchAck;

    public Jbd2Server(JournalHost host) {
        this.host = Objects.requireNonNull(host);
    }

    public void register(CallServer server) {
        server.register(Jbd2Calls.LOAD, (q, ctx) -> host.load(q.dev(), q.mountId(), ctx.trace()))
                .register(Jbd2Calls.START, this::start)
                .register(Jbd2Calls.BUFFER, this::buffer)
                .register(Jbd2Calls.EXTEND, this::extend)
                .register(Jbd2Calls.RESTART, this::restart)
                .register(Jbd2Calls.STOP, this::stop)
                .register(Jbd2Calls.RUN, this::run)
                .register(Jbd2Calls.RUN_BATCH, this::runBatch)
                .register(Jbd2Calls.WAIT, this::waitFor)
                .register(Jbd2Calls.BDEV_WRITEPAGES, this::bdevWritepages)
                .register(Jbd2Calls.INFO, this::info);
    }

    private LoadedJournal fenced(long epoch, CallContext ctx) {
        return host.fenced(epoch, ctx.remaining());
    }

    /**
     * blkdev_writepages for the flusher, in its task: the journal loaded now (no epoch: writing committed metadata
     * home is right for any instance); none loaded means nothing is exposed, so the inode is gone (ENOENT).
     */
    Jbd2Calls.BdevWritten bdevWritepages(Jbd2Calls.BdevWritepages q, CallContext ctx) {
        LoadedJournal lj = host.current().orElseThrow(() -> new ErrnoException(Errno.ENOENT,
                "no journal is loaded on " + q.dev() + ": its block device inode has no exposed buffers"));
        TraceContext flusher = ctx.trace() != null ? ctx.trace() : TraceContext.of(new Task("<...>", 0));
        Journal.BdevWritten w = lj.journal().blkdev_writepages(flusher, new BdevWbc(q.syncMode(), q.nrToWrite(),
                q.forKupdate(), q.forBackground(), q.rangeCyclic(), q.rangeStart(), q.rangeEnd()));
        return new Jbd2Calls.BdevWritten(w.pagesWritten(), w.stillDirty(), w.writebackIndex());
    }

    Jbd2Calls.Started start(Jbd2Calls.Start q, CallContext ctx) {
        LoadedJournal lj = fenced(q.epoch(), ctx);
        Handle h = lj.handles().start(ctx.trace(), q.credits(), q.type(), q.lineNo());
        return new Jbd2Calls.Started(h.id(), h.tid());
    }

    Jbd2Calls.Ack buffer(Jbd2Calls.BufferOp q, CallContext ctx) {
        LoadedJournal lj = fenced(q.epoch(), ctx);
        checkOp(lj, q.op(), q.block(), q.ino(), q.start(), q.length(), q.data().length);
        return new Jbd2Calls.Ack(lj.handles().use(q.handle(), h -> {
            apply(lj.journal(), h, q.op(), q.block(), q.ino(), q.start(), q.length(), q.data());
            return h.tid();
        }));
    }

    Jbd2Calls.Extended extend(Jbd2Calls.Extend q, CallContext ctx) {
        LoadedJournal lj = fenced(q.epoch(), ctx);
        if (q.blocks() <= 0) {
            throw new ErrnoException(Errno.EINVAL, "jbd2_journal_extend by " + q.blocks() + " blocks; ask for at least one");
        }
        return lj.handles().use(q.handle(), h -> new Jbd2Calls.Extended(lj.journal().jbd2_journal_extend(h, q.blocks()), h.tid()));
    }

    Jbd2Calls.Started restart(Jbd2Calls.Extend q, CallContext ctx) {
        LoadedJournal lj = fenced(q.epoch(), ctx);
        return lj.handles().use(q.handle(), h -> {
            lj.journal().jbd2_journal_restart(h, q.blocks());
            return new Jbd2Calls.Started(h.id(), h.tid());
        });
    }

    Jbd2Calls.Ack stop(Jbd2Calls.Stop q, CallContext ctx) {
        LoadedJournal lj = fenced(q.epoch(), ctx);
        return new Jbd2Calls.Ack(lj.handles().stop(q.handle(), q.sync()));
    }

    /** start, the operations in order, stop: all checked first, so a bad one leaves no handle behind. */
    Jbd2Calls.Ack run(Jbd2Calls.RunHandle q, CallContext ctx) {
        return new Jbd2Calls.Ack(run(fenced(q.epoch(), ctx), q, ctx.trace()));
    }

    /**
     * ext4's queued handles, applied one after the other as RUN applies one, each in its owner's task. A handle that
     * is refused (bad input) gets tid -1 and its reason; the others still run, in order.
     */
    Jbd2Calls.BatchAck runBatch(Jbd2Calls.RunBatch q, CallContext ctx) {
        batchLock.lock();
        try {
            LoadedJournal lj = fenced(q.epoch(), ctx);
            if (q.seq() > 0) {
                if (batchEpoch != lj.epoch()) {
                    batchEpoch = lj.epoch();
                    lastBatchSeq = 0;
                    lastBatchAck = null;
                }
                if (q.seq() == lastBatchSeq) {
                    return lastBatchAck; // sent again after a timeout: applied already
                }
                if (q.seq() < lastBatchSeq) {
                    throw new ErrnoException(Errno.EINVAL, "batch " + q.seq() + " is older than batch " + lastBatchSeq
                            + ", applied already under epoch " + lj.epoch() + ": a late duplicate, not applied");
                }
            }
            Jbd2Calls.BatchAck ack = applyBatch(lj, q);
            if (q.seq() > 0) {
                lastBatchSeq = q.seq();
                lastBatchAck = ack;
            }
            if (q.startCommit()) {
                ack = startCommitOfLast(lj, ack, q.orderedDataWritten(), ctx);
            }
            return ack;
        } finally {
            batchLock.unlock();
        }
    }

    /**
     * The fsync's jbd2_log_start_commit, carried by the batch: the transaction its last taken handle joined. Whether
     * that commit will send a flush is judged here, before it starts: the fsync's data was written before the batch
     * was sent, so a PREFLUSH from now on covers it, and the fsync needs no flush of its own.
     */
    private static Jbd2Calls.BatchAck startCommitOfLast(LoadedJournal lj, Jbd2Calls.BatchAck ack,
                                                        boolean orderedDataWritten, CallContext ctx) {
        for (int i = ack.tids().size() - 1; i >= 0; i--) {
            int tid = ack.tids().get(i);
            if (tid >= 0) {
                Journal j = lj.journal();
                boolean barrier = j.jbd2_trans_will_send_data_barrier(tid);
                j.jbd2_log_start_commit(tid, ctx.trace(), orderedDataWritten);
                return new Jbd2Calls.BatchAck(ack.tids(), ack.errors(), ack.commitSequence(), barrier);
            }
        }
        return ack;
    }

    private Jbd2Calls.BatchAck applyBatch(LoadedJournal lj, Jbd2Calls.RunBatch q) {
        int bs = lj.device().blockSize();
        int blocks = 0;
        for (Jbd2Calls.BatchEntry e : q.handles()) {
            blocks += (int) e.ops().stream().filter(op -> Jbd2Calls.DIRTY_METADATA.equals(op.op())).count();
        }
        if ((long) blocks * bs != q.data().length) {
            throw new ErrnoException(Errno.EINVAL, "the batch dirties " + blocks + " blocks of " + bs + " bytes but carries "
                    + q.data().length + " bytes of data");
        }
        List<Integer> tids = new java.util.ArrayList<>(q.handles().size());
        List<String> errors = new java.util.ArrayList<>(q.handles().size());
        int offset = 0;
        for (Jbd2Calls.BatchEntry e : q.handles()) {
            int n = (int) e.ops().stream().filter(op -> Jbd2Calls.DIRTY_METADATA.equals(op.op())).count();
            byte[] data = Arrays.copyOfRange(q.data(), offset, offset + n * bs);
            offset += n * bs;
            TraceContext owner = new TraceContext(e.traceId() == null || e.traceId().isEmpty()
                    ? TraceContext.newTraceId() : e.traceId(), new Task(e.comm(), Math.max(0, e.pid())));
            try {
                Jbd2Calls.RunHandle handle = new Jbd2Calls.RunHandle(q.epoch(), e.credits(), e.type(), e.lineNo(), false,
                        e.ops(), data);
                // stamped at ext4's times: the handle ran there, before this batch arrived
                tids.add(ScopedValue.where(Jbd2Trace.HANDLE_TIMES, new Jbd2Trace.HandleTimes(e.startedNanos(), e.stoppedNanos()))
                        .call(() -> run(lj, handle, owner)));
                errors.add(null);
            } catch (ErrnoException ex) {
                if (ex.errno() == Errno.ESTALE) {
                    throw ex;
                }
                tids.add(-1);
                errors.add(ex.errno().name() + ": " + ex.getMessage());
            }
        }
        return new Jbd2Calls.BatchAck(tids, errors, lj.journal().commitSequence());
    }

    private int run(LoadedJournal lj, Jbd2Calls.RunHandle q, TraceContext owner) {
        Journal j = lj.journal();
        int bs = lj.device().blockSize();
        int dirty = 0;
        Set<Long> access = new HashSet<>();
        Set<Long> dirtied = new HashSet<>();
        for (Jbd2Calls.Op op : q.ops()) {
            checkOp(lj, op.op(), op.block(), op.ino(), op.start(), op.length(), Jbd2Calls.DIRTY_METADATA.equals(op.op()) ? bs : 0);
            switch (op.op()) {
                case Jbd2Calls.GET_WRITE_ACCESS -> access.add(op.block());
                case Jbd2Calls.DIRTY_METADATA -> {
                    if (!access.contains(op.block())) {
                        throw new ErrnoException(Errno.EINVAL, "dirty_metadata on block " + op.block() + " without"
                                + " get_write_access before it in the handle");
                    }
                    dirty++;
                    dirtied.add(op.block());
                }
                default -> {
                }
            }
        }
        if ((long) dirty * bs != q.data().length) {
            throw new ErrnoException(Errno.EINVAL, "the handle dirties " + dirty + " blocks of " + bs + " bytes but carries "
                    + q.data().length + " bytes of data");
        }
        if (dirtied.size() > q.credits()) {
            throw new ErrnoException(Errno.ENOSPC, "the handle dirties " + dirtied.size() + " distinct blocks with "
                    + q.credits() + " credits; ask for more credits");
        }
        Handle h = j.jbd2_journal_start(owner, q.credits(), q.type(), q.lineNo());
        boolean stopped = false;
        try {
            int slice = 0;
            for (Jbd2Calls.Op op : q.ops()) {
                byte[] data = null;
                if (Jbd2Calls.DIRTY_METADATA.equals(op.op())) {
                    data = Arrays.copyOfRange(q.data(), slice * bs, (slice + 1) * bs);
                    slice++;
                }
                apply(j, h, op.op(), op.block(), op.ino(), op.start(), op.length(), data);
            }
            h.setSync(q.sync());
            stopped = true;
            return j.jbd2_journal_stop(h);
        } finally {
            if (!stopped) {
                j.jbd2_journal_stop(h);
            }
        }
    }

    Jbd2Calls.Waited waitFor(Jbd2Calls.Wait q, CallContext ctx) {
        LoadedJournal lj = fenced(q.epoch(), ctx);
        Journal j = lj.journal();
        switch (q.action()) {
            case Jbd2Calls.LOG_START_COMMIT -> {
                checkTid(j, q.tid());
                j.jbd2_log_start_commit(q.tid(), ctx.trace());
            }
            case Jbd2Calls.LOG_WAIT_COMMIT -> {
                checkTid(j, q.tid());
                if (!j.jbd2_log_wait_commit(q.tid(), ctx.remaining())) {
                    throw new ErrnoException(Errno.ETIMEDOUT, "transaction " + Integer.toUnsignedString(q.tid())
                            + " did not commit before the caller's deadline");
                }
            }
            case Jbd2Calls.COMPLETE_TRANSACTION -> {
                checkTid(j, q.tid());
                boolean barrier = j.jbd2_trans_will_send_data_barrier(q.tid());
                j.jbd2_complete_transaction(q.tid(), ctx.trace());
                return new Jbd2Calls.Waited(j.commitSequence(), barrier);
            }
            case Jbd2Calls.FORCE_COMMIT -> j.jbd2_journal_force_commit(ctx.trace());
            case Jbd2Calls.FLUSH -> j.jbd2_journal_flush(ctx.trace());
            default -> throw new ErrnoException(Errno.EINVAL, "unknown log wait '" + q.action() + "'; one of "
                    + List.of(Jbd2Calls.LOG_START_COMMIT, Jbd2Calls.LOG_WAIT_COMMIT, Jbd2Calls.COMPLETE_TRANSACTION,
                    Jbd2Calls.FORCE_COMMIT, Jbd2Calls.FLUSH));
        }
        return new Jbd2Calls.Waited(j.commitSequence());
    }

    Jbd2Calls.InfoText info(Jbd2Calls.Info q, CallContext ctx) {
        if (q.dev() != null && !q.dev().isEmpty() && !q.dev().equals(host.settings().dev())) {
            throw new ErrnoException(Errno.ENOENT, "no journal of " + q.dev() + " here; this jbd2-service journals "
                    + host.settings().dev());
        }
        LoadedJournal lj = host.current().orElseThrow(() -> new ErrnoException(Errno.ENOENT,
                ProcInfo.path(host.settings().config()) + " does not exist: the journal of " + host.settings().dev()
                        + " is not loaded (ext4 has not mounted it)"));
        return new Jbd2Calls.InfoText(ProcInfo.path(host.settings().config()), lj.journal().procInfo());
    }

    /** A tid the journal has not reached yet would be waited for forever (the kernel warns "bad log_wait_commit"). */
    private static void checkTid(Journal j, int tid) {
        int newest = j.transactionSequence() - 1;
        if (tid - newest > 0) {
            throw new ErrnoException(Errno.EINVAL, "transaction " + Integer.toUnsignedString(tid) + " does not exist yet"
                    + " (the newest is " + Integer.toUnsignedString(newest) + ")");
        }
    }

    private static void checkOp(LoadedJournal lj, String op, long block, long ino, long start, long length, int dataLength) {
        switch (op == null ? "" : op) {
            case Jbd2Calls.GET_WRITE_ACCESS, Jbd2Calls.DIRTY_METADATA, Jbd2Calls.REVOKE, Jbd2Calls.FORGET -> {
                if (block < 0 || block >= lj.device().blocks()) {
                    throw new ErrnoException(Errno.EINVAL, op + " on block " + block + ", outside " + lj.loaded().dev()
                            + " (" + lj.device().blocks() + " blocks)");
                }
                if (Jbd2Calls.DIRTY_METADATA.equals(op) && dataLength != lj.device().blockSize()) {
                    throw new ErrnoException(Errno.EINVAL, "dirty_metadata of block " + block + " carries " + dataLength
                            + " bytes; a block is " + lj.device().blockSize());
                }
            }
            case Jbd2Calls.INODE_RANGED_WRITE -> {
                if (ino <= 0 || start < 0 || length <= 0 || start + length < start) {
                    throw new ErrnoException(Errno.EINVAL, "inode_ranged_write of inode " + ino + " bytes " + start + "+"
                            + length + ": the inode must be positive and the range non-empty");
                }
            }
            default -> throw new ErrnoException(Errno.EINVAL, "unknown handle operation '" + op + "'; one of "
                    + List.of(Jbd2Calls.GET_WRITE_ACCESS, Jbd2Calls.DIRTY_METADATA, Jbd2Calls.REVOKE, Jbd2Calls.FORGET,
                    Jbd2Calls.INODE_RANGED_WRITE));
        }
    }

    private static void apply(Journal j, Handle h, String op, long block, long ino, long start, long length, byte[] data) {
        switch (op) {
            case Jbd2Calls.GET_WRITE_ACCESS -> j.jbd2_journal_get_write_access(h, block);
            case Jbd2Calls.DIRTY_METADATA -> j.jbd2_journal_dirty_metadata(h, block, data);
            case Jbd2Calls.REVOKE -> j.jbd2_journal_revoke(h, block);
            case Jbd2Calls.FORGET -> j.jbd2_journal_forget(h, block);
            case Jbd2Calls.INODE_RANGED_WRITE -> j.jbd2_journal_inode_ranged_write(h, ino, start, length);
            default -> throw new ErrnoException(Errno.EINVAL, "unknown handle operation '" + op + "'");
        }
    }
}
