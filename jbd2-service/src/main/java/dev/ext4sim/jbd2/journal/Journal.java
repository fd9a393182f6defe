package dev.ext4sim.jbd2.journal;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.jbd2.JournalWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code journal_t} and the handle API of fs/jbd2/transaction.c and journal.c: {@code jbd2_journal_start},
 * {@code jbd2_journal_get_write_access}, {@code jbd2_journal_dirty_metadata}, {@code jbd2_journal_revoke},
 * {@code jbd2_journal_extend}, {@code jbd2__journal_restart}, {@code jbd2_journal_stop}, and the log waits
 * ({@code jbd2_log_start_commit}, {@code jbd2_log_wait_commit}, {@code jbd2_complete_transaction},
 * {@code jbd2_journal_force_commit}, {@code jbd2_journal_flush}). The commit itself is {@link Commit}, run by
 * {@link Kjournald2}; checkpointing is {@link Checkpoint}.
 *
 * <p>One lock, {@code j_state_lock}, guards all state; waits are conditions on it with the kernel's wait-queue names.
 * Blocking calls are meant for virtual threads.
 */
public final class Journal {
    final JournalConfig config;
    final Time time;
    final Scheduler scheduler;
    final Jbd2Trace trace;
    final JournalWriter writer;
    final IoBatch io;
    final OrderedData orderedData;
    final CommitListener listener;
    final JournalStats stats = new JournalStats();
    final Checkpoint checkpoint;
    /** jbd2_journal_bmap: log blocks mapped through the journal inode. */
    final JournalBmap bmap;
    /** The block device inode, whose page cache a commit exposes the committed buffers to. */
    final BdevInode bdev;
    /** j_max_transaction_buffers: journal length / 4. */
    final int maxTransactionBuffers;
    /** j_total_len: s_maxlen, the journal's length in blocks, its superblock included. */
    final long totalLen;
    final TraceContext thread;

    final ReentrantLock lock = new ReentrantLock();
    /** j_wait_commit: kjournald2 sleeps here until a commit is requested or the timer fires. */
    final Condition waitCommit = lock.newCondition();
    /** j_wait_done_commit: log_wait_commit sleeps here. */
    final Condition waitDoneCommit = lock.newCondition();
    /** j_wait_transaction_locked: new handles wait here while the running transaction is locked. */
    final Condition waitTransactionLocked = lock.newCondition();
    /** j_wait_updates: the commit waits here for the open handles of the locked transaction. */
    final Condition waitUpdates = lock.newCondition();
    /** Serializes the log writer: commits (kjournald2) and checkpoints. */
    final ReentrantLock ioLock = new ReentrantLock();

    Transaction running;
    Transaction committing;
    /** j_commit_sequence: the last committed tid. */
    int commitSequence;
    /** j_commit_request: the newest tid a commit was asked for. */
    int commitRequest;
    /** j_transaction_sequence: the tid the next transaction gets. */
    int transactionSequence;
    /** j_last_sync_writer. */
    int lastSyncWriter = -1;
    boolean checkpointDue;
    boolean stopping;
    ErrnoException aborted;
    private final AtomicLong handleIds = new AtomicLong();
    private volatile long lastFreeBlocks;

    public Journal(JournalConfig config, Time time, Scheduler scheduler, Jbd2Trace trace, JournalWriter writer,
                   JournalBmap bmap, IoBatch io, OrderedData orderedData, CommitListener listener) {
        this.config = Objects.requireNonNull(config);
        this.time = Objects.requireNonNull(time);
        this.scheduler = Objects.requireNonNull(scheduler);
        this.trace = Objects.requireNonNull(trace);
        this.writer = Objects.requireNonNull(writer);
        this.bmap = Objects.requireNonNull(bmap);
        this.bdev = new BdevInode(new BdevTrace(trace.tracer(), config.devT()));
        this.io = Objects.requireNonNull(io);
        this.orderedData = Objects.requireNonNull(orderedData);
        this.listener = Objects.requireNonNull(listener);
        this.maxTransactionBuffers = (int) Math.max(1, writer.capacity() / 4);
        this.totalLen = writer.journal().superblock().maxlen();
        this.transactionSequence = writer.nextTid();
        this.commitSequence = transactionSequence - 1;
        this.commitRequest = commitSequence;
        this.thread = TraceContext.of(new Task(config.threadName(), config.threadPid()));
        this.checkpoint = new Checkpoint(this);
        this.lastFreeBlocks = writer.freeBlocks();
    }

    /** Where the flusher's bdev writes go and who learns the bdev inode's dirtying (JournalHost: the bus). */
    private volatile BdevIo bdevIo;

    /**
     * The block device inode's outside world: its pages' writes, issued in the flusher's task, and the news that it
     * joined the bdi's dirty list.
     */
    public interface BdevIo {
        /**
         * Writes {@code blocks} home in {@code ctx}, the flusher's task, inside the plug it holds around its round:
         * WRITE|META, plus SYNC for an integrity pass.
         */
        void writeHome(TraceContext ctx, List<Long> blocks, List<byte[]> data, boolean sync);

        /** __mark_inode_dirty enqueued the inode ({@code ino}, I_DIRTY_* {@code state}, jiffies {@code dirtiedWhen}). */
        void inodeDirtied(long ino, int state, long dirtiedWhen);
    }

    /** In the 6.x profile the flusher writes the exposed metadata: it must hear of the bdev inode's dirtying. */
    public void attachBdev(BdevIo io) {
        this.bdevIo = Objects.requireNonNull(io);
        if (trace.tracer().profile().v6()) {
            bdev.dirtied(io::inodeDirtied);
        }
    }

    /**
     * {@code blkdev_writepages} of the block device inode, in the flusher's task {@code ctx}: the exposed buffers
     * still dirty go home with their committed contents, under one plug (blk_start_plug around write_cache_pages),
     * and are clean after; a transaction whose checkpoint list is then all clean is dropped at the next commit
     * without writing. The log tail does not move here: only a checkpoint moves it, after its flush.
     */
    public BdevWritten blkdev_writepages(TraceContext ctx, BdevWbc wbc) {
        ioLock.lock();
        try {
            List<BdevInode.Page> pages;
            List<Long> blocks = new ArrayList<>();
            List<byte[]> data = new ArrayList<>();
            lock.lock();
            try {
                checkAborted();
                pages = bdev.write_cache_pages(ctx, wbc, this::journaledAgain);
                for (BdevInode.Page p : pages) {
                    byte[] copy = p.bufferDirty() ? writer.committedCopy(p.block()) : null;
                    if (copy != null) {
                        blocks.add(p.block());
                        data.add(copy);
                    }
                }
            } finally {
                lock.unlock();
            }
            if (!blocks.isEmpty()) {
                try {
                    BdevIo io = bdevIo;
                    if (io != null) {
                        io.writeHome(ctx, blocks, data, wbc.syncMode() != 0);
                    } else {
                        for (int i = 0; i < blocks.size(); i++) {
                            writer.journal().area().writeHome(blocks.get(i), data.get(i));
                        }
                    }
                } catch (RuntimeException e) {
                    lock.lock();
                    try {
                        bdev.redirty(pages);
                    } finally {
                        lock.unlock();
                    }
                    throw e;
                }
            }
            lock.lock();
            try {
                return new BdevWritten(pages.size(), bdev.hasDirtyPages(), 0);
            } finally {
                lock.unlock();
            }
        } finally {
            ioLock.unlock();
        }
    }

    /** Pages written, pages left dirty, and writeback_index (0: a cyclic pass that reached the end wraps). */
    public record BdevWritten(long pagesWritten, boolean stillDirty, long writebackIndex) {
    }

    /** b_transaction set: the running or committing transaction journals home block {@code home}. State lock held. */
    boolean journaledAgain(long home) {
        return (running != null && running.buffers.containsKey(home))
                || (committing != null && committing.buffers.containsKey(home));
    }

    public JournalConfig config() {
        return config;
    }

    public int maxTransactionBuffers() {
        return maxTransactionBuffers;
    }

    public JournalStats stats() {
        return stats;
    }

    /**
     * Free log blocks for a metrics scrape: never waits behind a commit's I/O; while one runs it answers the value
     * seen last.
     */
    public long freeBlocksNow() {
        if (ioLock.tryLock()) {
            try {
                lastFreeBlocks = writer.freeBlocks();
            } finally {
                ioLock.unlock();
            }
        }
        return lastFreeBlocks;
    }

    /** Free log blocks (jbd2_log_space_left before the reserve). */
    public long freeBlocks() {
        ioLock.lock();
        try {
            return writer.freeBlocks();
        } finally {
            ioLock.unlock();
        }
    }

    public long capacity() {
        return writer.capacity();
    }

    /** j_total_len: s_maxlen, the journal's length in blocks. */
    public long totalLen() {
        return totalLen;
    }

    /** j_commit_sequence. */
    public int commitSequence() {
        lock.lock();
        try {
            return commitSequence;
        } finally {
            lock.unlock();
        }
    }

    /** j_transaction_sequence: the tid the next new transaction gets. */
    public int transactionSequence() {
        lock.lock();
        try {
            return transactionSequence;
        } finally {
            lock.unlock();
        }
    }

    /** The tid of the running transaction, or empty. */
    public java.util.OptionalInt runningTid() {
        lock.lock();
        try {
            return running == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(running.tid());
        } finally {
            lock.unlock();
        }
    }

    /** The state of transaction {@code tid} if it is running or committing. */
    public java.util.Optional<TransactionState> state(int tid) {
        lock.lock();
        try {
            if (running != null && running.tid() == tid) {
                return java.util.Optional.of(running.state);
            }
            if (committing != null && committing.tid() == tid) {
                return java.util.Optional.of(committing.state);
            }
            return java.util.Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    /** /proc/fs/jbd2/sda1-8/info. */
    public String procInfo() {
        return ProcInfo.render(stats.snapshot(), maxTransactionBuffers, config);
    }

    // ---------------------------------------------------------------- handles (fs/jbd2/transaction.c)

    /**
     * {@code jbd2__journal_start}: a handle with {@code credits} buffer credits in the running transaction, which is
     * created if there is none. While the running transaction is locked for commit the caller waits for the next
     * one, as {@code wait_transaction_locked} does; a transaction that cannot take the credits is committed first.
     */
    public Handle jbd2_journal_start(TraceContext owner, int credits, int type, int lineNo) {
        if (credits <= 0) {
            throw new ErrnoException(Errno.EINVAL, "a handle needs at least one credit, asked for " + credits);
        }
        if (credits > maxTransactionBuffers) {
            throw new ErrnoException(Errno.ENOSPC, "a handle wants " + credits + " credits but a transaction of this journal"
                    + " holds at most " + maxTransactionBuffers + " blocks; split the operation");
        }
        Handle h = new Handle(handleIds.incrementAndGet(), owner, type, lineNo);
        lock.lock();
        try {
            startThisHandle(h, credits);
            trace.handleStart(owner, h);
        } finally {
            lock.unlock();
        }
        return h;
    }

    /** start_this_handle, with the lock held. */
    private void startThisHandle(Handle h, int credits) {
        long waitStart = time.nanoTime();
        while (true) {
            checkAborted();
            if (running == null) {
                running = newTransaction();
            }
            Transaction t = running;
            if (t.state == TransactionState.T_LOCKED) {
                waitTransactionLocked.awaitUninterruptibly();
                continue;
            }
            if (t.outstandingCredits + credits > maxTransactionBuffers) {
                // add_transaction_credits: the transaction is full; commit it and wait until it is locked.
                startCommitLocked(t.tid(), null);
                while (running == t && aborted == null) {
                    waitTransactionLocked.awaitUninterruptibly();
                }
                continue;
            }
            t.maxWait = Math.max(t.maxWait, config.jiffies(time.nanoTime()) - config.jiffies(waitStart));
            t.updates++;
            t.outstandingCredits += credits;
            t.handleCount++;
            h.transaction = t;
            h.credits = credits;
            h.requestedBlocks = credits;
            h.startJiffies = config.jiffies(time.nanoTime());
            return;
        }
    }

    /** jbd2_get_transaction: a new running transaction, with its commit timer armed at round_jiffies_up(t_expires). */
    private Transaction newTransaction() {
        long now = time.nanoTime();
        long expires = now + config.commitInterval().toNanos();
        Transaction t = new Transaction(transactionSequence++, now, expires);
        long due = Math.ceilDiv(expires, 1_000_000_000L) * 1_000_000_000L;
        t.timer = scheduler.schedule(Duration.ofNanos(due - now), () -> commitTimeout(t));
        return t;
    }

    /** commit_timeout: wake kjournald2, which commits the transaction if it expired. */
    private void commitTimeout(Transaction t) {
        lock.lock();
        try {
            if (running == t) {
                waitCommit.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@code jbd2_journal_get_write_access}: the handle is about to modify {@code block}. */
    public void jbd2_journal_get_write_access(Handle h, long block) {
        lock.lock();
        try {
            checkOpen(h);
            h.access.add(block);
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code jbd2_journal_dirty_metadata}: {@code block}'s new contents belong to the handle's transaction. The first
     * time the transaction sees the block it costs the handle a credit; a revoke of it in this transaction is
     * cancelled ({@code jbd2_journal_cancel_revoke}).
     */
    public void jbd2_journal_dirty_metadata(Handle h, long block, byte[] contents) {
        if (contents.length != writer.journal().blockSize()) {
            throw new ErrnoException(Errno.EINVAL, "block " + block + " comes with " + contents.length
                    + " bytes; a journaled block is " + writer.journal().blockSize() + " bytes");
        }
        lock.lock();
        try {
            checkOpen(h);
            if (!h.access.contains(block)) {
                throw new ErrnoException(Errno.EINVAL, "jbd2_journal_dirty_metadata on block " + block + " without"
                        + " jbd2_journal_get_write_access; get write access to the buffer first");
            }
            Transaction t = h.transaction;
            if (!t.buffers.containsKey(block)) {
                if (h.credits <= 0) {
                    throw new ErrnoException(Errno.ENOSPC, "handle " + h.id() + " has no credits left for block " + block
                            + " (it asked for " + h.requestedBlocks + "); extend it with jbd2_journal_extend");
                }
                h.credits--;
                h.dirtied++;
            }
            t.revoked.remove(block);
            t.buffers.put(block, contents.clone());
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code jbd2_journal_revoke}: {@code block} was freed; no older journaled copy of it may be replayed over what
     * is written there next. Forgets the block if this transaction journaled it ({@code jbd2_journal_forget}).
     */
    public void jbd2_journal_revoke(Handle h, long block) {
        lock.lock();
        try {
            checkOpen(h);
            Transaction t = h.transaction;
            t.buffers.remove(block);
            t.revoked.add(block);
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code jbd2_journal_forget}: {@code block} was freed and its owner will never need an older copy kept from being
     * replayed (full data journalling logs every later use of the block too). This transaction does not log it; the
     * credit it took comes back. Older transactions keep their copies, which checkpoint writes home harmlessly.
     */
    public void jbd2_journal_forget(Handle h, long block) {
        lock.lock();
        try {
            checkOpen(h);
            if (h.transaction.buffers.remove(block) != null) {
                h.credits++; // drop_reserve: whichever handle of the transaction modified it
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@code jbd2_journal_inode_ranged_write}: the transaction commits only after this data range is written. */
    public void jbd2_journal_inode_ranged_write(Handle h, long ino, long start, long length) {
        lock.lock();
        try {
            checkOpen(h);
            h.transaction.orderedDataWritten = false; // registered after the requester looked
            h.transaction.inodes.merge(ino, new OrderedData.InodeRange(ino, start, start + length - 1),
                    (a, b) -> new OrderedData.InodeRange(ino, Math.min(a.start(), b.start()), Math.max(a.end(), b.end())));
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code jbd2_journal_extend}: more credits in the same transaction. Returns false (the kernel's "> 0") when the
     * transaction is no longer running or cannot grow: the caller restarts the handle.
     */
    public boolean jbd2_journal_extend(Handle h, int blocks) {
        lock.lock();
        try {
            checkOpen(h);
            Transaction t = h.transaction;
            if (t.state != TransactionState.T_RUNNING || t.outstandingCredits + blocks > maxTransactionBuffers) {
                return false;
            }
            trace.handleExtend(h.owner, h, h.credits, blocks);
            h.credits += blocks;
            t.outstandingCredits += blocks;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code jbd2__journal_restart}: the handle leaves its transaction (whose commit is started) and joins the next
     * one with {@code blocks} credits; what it did so far commits with the old transaction.
     */
    public void jbd2_journal_restart(Handle h, int blocks) {
        if (blocks <= 0 || blocks > maxTransactionBuffers) {
            throw new ErrnoException(Errno.EINVAL, "restart with " + blocks + " credits; 1 to " + maxTransactionBuffers + " allowed");
        }
        lock.lock();
        try {
            checkOpen(h);
            Transaction t = h.transaction;
            leaveTransaction(h, t);
            startCommitLocked(t.tid(), h.owner);
            h.dirtied = 0;
            h.access.clear();
            startThisHandle(h, blocks);
            trace.handleRestart(h.owner, h);
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code jbd2_journal_stop}: the handle is done. Emits jbd2_handle_stats. A sync handle first sleeps a little if
     * other tasks may join the transaction (j_min/max_batch_time batching), then starts the commit and waits for it.
     * Returns the handle's tid.
     */
    public int jbd2_journal_stop(Handle h) {
        Transaction t;
        boolean waitForCommit = false;
        lock.lock();
        try {
            checkOpen(h);
            t = h.transaction;
            trace.handleStats(h.owner, h, config.jiffies(time.nanoTime()) - h.startJiffies);
            int pid = h.owner.task().pid();
            if (h.sync && lastSyncWriter != pid && !config.maxBatchTime().isZero()) {
                lastSyncWriter = pid;
                long commitTime = Math.max(stats.averageCommitTimeNanos(), config.minBatchTime().toNanos());
                commitTime = Math.min(commitTime, config.maxBatchTime().toNanos());
                long transTime = time.nanoTime() - t.startNanos;
                if (transTime < commitTime) {
                    batchSleep(commitTime);
                }
            }
            if (h.sync) {
                t.synchronousCommit = true;
            }
            if (h.sync || time.nanoTime() >= t.expiresNanos) {
                startCommitLocked(t.tid(), h.owner);
                waitForCommit = h.sync;
            }
            leaveTransaction(h, t);
            h.stopped = true;
        } finally {
            lock.unlock();
        }
        if (waitForCommit) {
            jbd2_log_wait_commit(t.tid());
        }
        return t.tid();
    }

    /** schedule_hrtimeout with the handle still open: other tasks join the transaction meanwhile. Lock held. */
    private void batchSleep(long nanos) {
        boolean[] woken = {false};
        Scheduler.Cancellable c = scheduler.schedule(Duration.ofNanos(nanos), () -> {
            lock.lock();
            try {
                woken[0] = true;
                waitUpdates.signalAll();
                waitTransactionLocked.signalAll();
                waitDoneCommit.signalAll();
            } finally {
                lock.unlock();
            }
        });
        try {
            while (!woken[0]) {
                // the timer signals a condition we already wait on elsewhere; any of them serves
                waitDoneCommit.awaitUninterruptibly();
            }
        } finally {
            c.cancel();
        }
    }

    /** stop_this_handle: give back unused credits; wake the commit when the last handle left. Lock held. */
    private void leaveTransaction(Handle h, Transaction t) {
        t.outstandingCredits -= h.credits;
        h.credits = 0;
        if (--t.updates == 0) {
            waitUpdates.signalAll();
        }
    }

    private void checkOpen(Handle h) {
        checkAborted();
        if (h.stopped) {
            throw new ErrnoException(Errno.EINVAL, h + " was already stopped; start a new handle");
        }
    }

    void checkAborted() {
        if (aborted != null) {
            throw new ErrnoException(Errno.EIO, "the journal of " + config.devName() + " aborted ("
                    + aborted.getMessage() + "); reload it (jbd2_journal_load) after fixing the device");
        }
    }

    // ---------------------------------------------------------------- log waits (fs/jbd2/journal.c)

    /** {@code jbd2_log_start_commit}: ask kjournald2 to commit {@code tid} if it is the running transaction. */
    public boolean jbd2_log_start_commit(int tid, TraceContext requester) {
        lock.lock();
        try {
            return startCommitLocked(tid, requester);
        } finally {
            lock.unlock();
        }
    }

    /**
     * jbd2_log_start_commit from a requester that found the data of every range the transaction registered already on
     * the device (ext4's fsync, right after writing it): T_FLUSH then emits its events but makes no call to the
     * filesystem, whose answer would cost the commit a round trip and write nothing. A range registered later, or a
     * commit that was not started by this request, still makes the call.
     */
    public boolean jbd2_log_start_commit(int tid, TraceContext requester, boolean orderedDataWritten) {
        lock.lock();
        try {
            boolean started = startCommitLocked(tid, requester);
            if (running != null && running.tid() == tid) {
                // a requester that found data to write wins over one that did not, whichever came first
                running.orderedDataWritten = started ? orderedDataWritten : running.orderedDataWritten && orderedDataWritten;
            }
            return started;
        } finally {
            lock.unlock();
        }
    }

    /** __jbd2_log_start_commit. */
    boolean startCommitLocked(int tid, TraceContext requester) {
        if (commitRequest == tid || !tidGt(tid, commitRequest)) {
            return false;
        }
        if (running != null && running.tid() == tid) {
            commitRequest = tid;
            running.requestedNanos = time.nanoTime();
            running.requested = true;
            running.requestedBy = requester;
            waitCommit.signalAll();
            return true;
        }
        return false;
    }

    /** {@code jbd2_log_wait_commit}: until transaction {@code tid} is durable. */
    public void jbd2_log_wait_commit(int tid) {
        lock.lock();
        try {
            while (tidGt(tid, commitSequence)) {
                checkAborted();
                if (stopping) {
                    throw new ErrnoException(Errno.EIO, "the journal of " + config.devName() + " is shutting down;"
                            + " transaction " + Integer.toUnsignedString(tid) + " was not committed");
                }
                waitDoneCommit.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@code jbd2_log_wait_commit} with a bound: false if {@code tid} was not durable in time. */
    public boolean jbd2_log_wait_commit(int tid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (tidGt(tid, commitSequence)) {
                checkAborted();
                long left = deadline - System.nanoTime();
                if (left <= 0 || stopping) {
                    return false;
                }
                try {
                    waitDoneCommit.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code jbd2_trans_will_send_data_barrier}: whether the commit of {@code tid} will issue its cache flush after
     * this call (it still runs, or its commit has not yet submitted the log and the PREFLUSH commit block), so data a
     * caller completed before calling is covered by it and the caller need not flush the device itself.
     */
    public boolean jbd2_trans_will_send_data_barrier(int tid) {
        lock.lock();
        try {
            if (tid - commitSequence <= 0) {
                return false;
            }
            Transaction c = committing;
            if (c == null || c.tid() != tid) {
                return true;
            }
            // the log and the commit block go to the device in one plug from T_COMMIT on
            return c.state.compareTo(TransactionState.T_COMMIT) < 0;
        } finally {
            lock.unlock();
        }
    }

    /** {@code jbd2_complete_transaction}: fsync's wait: start the commit of {@code tid} if needed, then wait. */
    public void jbd2_complete_transaction(int tid, TraceContext requester) {
        boolean wait = true;
        lock.lock();
        try {
            if (running != null && running.tid() == tid) {
                if (commitRequest != tid) {
                    startCommitLocked(tid, requester);
                }
            } else if (!(committing != null && committing.tid() == tid)) {
                wait = false;
            }
        } finally {
            lock.unlock();
        }
        if (wait) {
            jbd2_log_wait_commit(tid);
        }
    }

    /** {@code jbd2_journal_force_commit}: commit the running transaction (or wait for the committing one). */
    public int jbd2_journal_force_commit(TraceContext requester) {
        int tid;
        lock.lock();
        try {
            checkAborted();
            if (running != null) {
                tid = running.tid();
                startCommitLocked(tid, requester);
            } else if (committing != null) {
                tid = committing.tid();
            } else {
                return commitSequence;
            }
        } finally {
            lock.unlock();
        }
        jbd2_log_wait_commit(tid);
        return tid;
    }

    /** {@code jbd2_journal_flush}: commit everything, then checkpoint it all home (sync, unmount). */
    public int jbd2_journal_flush(TraceContext requester) {
        int tid = jbd2_journal_force_commit(requester);
        lock.lock();
        try {
            while (committing != null && aborted == null) {
                waitDoneCommit.awaitUninterruptibly();
            }
            checkAborted();
        } finally {
            lock.unlock();
        }
        checkpoint.jbd2_log_do_checkpoint(false);
        markJournalEmpty();
        return tid;
    }

    /**
     * jbd2_journal_flush's last step, jbd2_mark_journal_empty: after the flush of an unmount, e2fsck finds a journal
     * with nothing to replay. A commit that slipped in after the checkpoint keeps the log as it is.
     */
    private void markJournalEmpty() {
        ioLock.lock();
        try {
            io.run(writer::markEmptyIfCheckpointed);
        } catch (RuntimeException e) {
            throw ioFailed("marking the journal empty", e);
        } finally {
            ioLock.unlock();
        }
    }

    /** A journal write failed: jbd2_journal_abort with it as an errno (EIO unless it is one), returned to be thrown. */
    ErrnoException ioFailed(String what, RuntimeException e) {
        ErrnoException cause = e instanceof ErrnoException ee ? ee
                : new ErrnoException(Errno.EIO, what + " failed: " + e.getMessage(), e);
        abort(cause);
        return cause;
    }

    /** jbd2_journal_abort: every later operation fails with EIO; waiters wake. */
    void abort(ErrnoException cause) {
        lock.lock();
        try {
            if (aborted == null) {
                aborted = cause;
            }
            waitDoneCommit.signalAll();
            waitTransactionLocked.signalAll();
            waitUpdates.signalAll();
            waitCommit.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public boolean isAborted() {
        lock.lock();
        try {
            return aborted != null;
        } finally {
            lock.unlock();
        }
    }

    /** Stops kjournald2 (see {@link Kjournald2#stop}); waiters for uncommitted tids get EIO. */
    void markStopping() {
        lock.lock();
        try {
            stopping = true;
            waitCommit.signalAll();
            waitDoneCommit.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** tid_gt: x after y in the wrapping tid space. */
    static boolean tidGt(int x, int y) {
        return x - y > 0;
    }

    static long awaitNanos(Condition c, long nanos) {
        try {
            return c.awaitNanos(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    static final TimeUnit NS = TimeUnit.NANOSECONDS;
}
