package dev.ext4sim.ext4.remote;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceClock;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.JournalHandle;
import dev.ext4sim.ext4.port.JournalPort;
import dev.ext4sim.ext4.port.JournalTid;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal of one filesystem over the bus, streamed: ext4 runs handles locally ({@link LocalHandle}), queues each
 * at stop, and one pump thread sends what is queued, in order, as one {@link Jbd2Calls#RUN_BATCH} at a time, so jbd2
 * sees every block's versions in ext4's order. A tid resolves when its batch is answered; fsync waits for it.
 *
 * <p>Epochs: on ESTALE or ENODEV, on a batch that timed out or failed with EIO, or when jbd2 announces a new load,
 * the pump loads the journal again. Every block logged by a handle whose transaction is not known committed (its tid
 * above the last j_commit_sequence jbd2 reported, or never answered) is logged again, newest contents, in fresh handles before
 * the pump resumes; the lost handles' tids then redirect to the last of those, so fsync waits for the re-logged
 * transaction. Known committed means at or below a j_commit_sequence jbd2 reported, and a journal recovered after a
 * restart replays exactly those.
 */
public final class JournalPump implements JournalPort, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JournalPump.class);
    /** Data of one batch: well under a Kafka record's 16 MiB. */
    private static final int MAX_BATCH_BYTES = 4 << 20;
    private static final int MAX_BATCH_HANDLES = 512;
    private static final Task RELOG_TASK = new Task("ext4-relog", 0);

    /**
     * Timeouts, the queue bound, and the linger: how long a stopped handle may wait for others to share its batch.
     * Nobody waits on a handle until fsync, sync or a full queue asks for its tid, and those send at once; the linger
     * only spares jbd2 and the broker one round trip per buffered write.
     */
    public record Settings(String dev, String mountId, Duration callTimeout, Duration loadRetry, int queueCapacity,
                           Duration linger) {
        public Settings {
            Objects.requireNonNull(dev);
            Objects.requireNonNull(mountId);
            if (queueCapacity < 1) {
                throw new IllegalArgumentException("queue capacity must be positive");
            }
            if (linger.isNegative()) {
                throw new IllegalArgumentException("the batch linger must not be negative");
            }
        }

        /** No linger: every handle goes as soon as the batch before it was answered. */
        public Settings(String dev, String mountId, Duration callTimeout, Duration loadRetry, int queueCapacity) {
            this(dev, mountId, callTimeout, loadRetry, queueCapacity, Duration.ZERO);
        }
    }

    private final CallClient client;
    private final Settings settings;
    private final TraceClock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<PendingHandle> queue = new ArrayDeque<>();
    /** Sent handles not known committed, in send order. */
    private final List<PendingHandle> sent = new ArrayList<>();
    private volatile IntConsumer onCommit = seq -> { };
    private volatile Consumer<Jbd2Calls.Loaded> onLoaded = l -> { };
    private Jbd2Calls.Loaded loaded;
    private int commitSequence = -1;
    private boolean reloadWanted;
    /** Someone waits for a queued handle's tid (fsync, sync, a full queue): send without lingering. */
    private boolean hurried;
    /** When the oldest queued handle was queued, on {@link #now()}. */
    private long oldestQueuedNanos;
    private long batches;
    private long handlesSent;
    private long batchSeq;
    /** Loads done by the pump (a new epoch or the same one again), for waiters that asked for one. */
    private long reloads;
    /** The last handle of the batch in flight (null: none), what sync waits for when nothing is queued. */
    private PendingHandle inFlightLast;
    private volatile boolean closed;
    private Thread pump;

    public JournalPump(CallClient client, Settings settings, TraceClock clock) {
        this.client = Objects.requireNonNull(client);
        this.settings = Objects.requireNonNull(settings);
        this.clock = Objects.requireNonNull(clock);
    }

    /** ext4_journal_commit_callback's trigger: called with j_commit_sequence whenever jbd2 reports a newer one. */
    public void onCommit(IntConsumer onCommit) {
        this.onCommit = Objects.requireNonNull(onCommit);
    }

    /** Told of every load jbd2 answers or announces, before the pump acts on it (the power-on check). */
    public void onLoaded(Consumer<Jbd2Calls.Loaded> onLoaded) {
        this.onLoaded = Objects.requireNonNull(onLoaded);
    }

    long now() {
        return clock.nanosSinceBoot();
    }

    // ------------------------------------------------------------------ JournalPort

    /** Loads the journal (retrying until jbd2 answers) and starts the pump. */
    @Override
    public void load(TraceContext ctx) {
        Jbd2Calls.Loaded l = loadUntilAnswered(ctx);
        lock.lock();
        try {
            loaded = l;
            commitSequence = l.nextTid() - 1;
            if (pump == null) {
                pump = Thread.ofVirtual().name("ext4-journal-pump-" + settings.dev()).start(this::run);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public JournalHandle start(TraceContext owner, int type, int credits, int lineNo) {
        return new LocalHandle(this, owner, type, credits, lineNo, now());
    }

    /** Never blocks (it runs under the filesystem lock): the bound is enforced by {@link #awaitRoom}. */
    PendingHandle enqueue(PendingHandle p) {
        lock.lock();
        try {
            if (closed) {
                p.fail("the journal pump is closed (unmounted)");
                return p;
            }
            if (queue.isEmpty()) {
                oldestQueuedNanos = now();
            }
            queue.addLast(p);
            p.onAwait(this::hurry);
            changed.signalAll();
            return p;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Backpressure: a writer whose handles fill the queue waits here, outside every filesystem lock, until the pump
     * caught up (a full queue never fails a write).
     */
    public void awaitRoom() {
        lock.lock();
        try {
            if (queue.size() >= settings.queueCapacity()) {
                hurried = true;
                changed.signalAll();
            }
            while (queue.size() >= settings.queueCapacity() && !closed) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * fsync: the handle's tid once sent, then jbd2_complete_transaction; a lost tid is waited for re-logged. The batch
     * that carries the handle tells jbd2 whether data=ordered has anything to write (see send).
     */
    @Override
    public boolean completeTransaction(TraceContext ctx, JournalTid tid, boolean orderedDataWritten) {
        boolean withHandle = tid.commitWanted(orderedDataWritten);
        while (true) {
            tid.await();
            long epoch;
            int t;
            lock.lock();
            try {
                // read under the lock: a reload redirects lost tids before it publishes the new epoch
                epoch = loaded.epoch();
                t = tid.peek();
                if (t >= 0 && t - commitSequence <= 0) {
                    // known committed: the caller flushes for its data, unless that commit began after it
                    return withHandle && tid.commitFlushPromised();
                }
            } finally {
                lock.unlock();
            }
            Jbd2Calls.Waited w = t >= 0 ? waitCall(ctx, epoch, Jbd2Calls.COMPLETE_TRANSACTION, t) : null;
            if (w != null) {
                // jbd2_trans_will_send_data_barrier, judged by jbd2 when the wait arrived or, for a commit the
                // handle's batch started, when that began: both after this fsync's data
                return Boolean.TRUE.equals(w.barrier()) || withHandle && tid.commitFlushPromised();
            }
        }
    }

    @Override
    public void forceCommit(TraceContext ctx) {
        drained();
        while (waitCall(ctx, epoch(), Jbd2Calls.FORCE_COMMIT, 0) == null) {
            drained();
        }
    }

    @Override
    public void flush(TraceContext ctx) {
        drained();
        while (waitCall(ctx, epoch(), Jbd2Calls.FLUSH, 0) == null) {
            drained();
        }
    }

    /** A tid is awaited: what is queued goes now, not at the end of the linger. */
    void hurry() {
        lock.lock();
        try {
            if (!hurried && !queue.isEmpty()) {
                hurried = true;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ observability

    public int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    public long batches() {
        lock.lock();
        try {
            return batches;
        } finally {
            lock.unlock();
        }
    }

    public long handlesSent() {
        lock.lock();
        try {
            return handlesSent;
        } finally {
            lock.unlock();
        }
    }

    public long epoch() {
        lock.lock();
        try {
            return loaded == null ? 0 : loaded.epoch();
        } finally {
            lock.unlock();
        }
    }

    /** jbd2 announced a load (jbd2_journal_loaded): a newer epoch than ours means it restarted; load again. */
    public void loadedElsewhere(Jbd2Calls.Loaded l) {
        if (settings.dev().equals(l.dev())) {
            onLoaded.accept(l);
        }
        lock.lock();
        try {
            if (loaded != null && l.epoch() != loaded.epoch() && settings.dev().equals(l.dev())) {
                reloadWanted = true;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ the pump

    /** jbd2's answer; null when the epoch was stale or jbd2 away (the pump loaded again meanwhile: redo). */
    private Jbd2Calls.Waited waitCall(TraceContext ctx, long epoch, String action, int tid) {
        try {
            Jbd2Calls.Waited w = client.invoke(Jbd2Calls.SERVICE, Jbd2Calls.WAIT, new Jbd2Calls.Wait(epoch, action, tid),
                    settings.callTimeout(), ctx);
            committed(w.commitSequence());
            return w;
        } catch (ErrnoException e) {
            if (!retryable(e.errno())) {
                throw e;
            }
            log.warn("ext4: {} of {} under epoch {}: {}; waiting for the journal to be loaded again", action,
                    Integer.toUnsignedString(tid), epoch, e.getMessage());
            awaitEpochAfter(epoch);
            return null;
        }
    }

    private static boolean retryable(Errno errno) {
        return errno == Errno.ESTALE || errno == Errno.ENODEV || errno == Errno.ETIMEDOUT || errno == Errno.EIO;
    }

    /** Has the pump load the journal again (unless it did since {@code epoch} failed) and waits for that load. */
    private void awaitEpochAfter(long epoch) {
        lock.lock();
        try {
            if (loaded.epoch() == epoch) {
                long generation = reloads;
                reloadWanted = true;
                changed.signalAll();
                while (reloads == generation && !closed) {
                    changed.awaitUninterruptibly();
                }
            }
            if (closed) {
                throw new ErrnoException(Errno.EIO, "the filesystem was unmounted while waiting for the journal");
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until every handle queued before this call has been answered by jbd2. */
    private void drained() {
        PendingHandle last;
        lock.lock();
        try {
            last = queue.peekLast() != null ? queue.peekLast() : inFlightLast;
        } finally {
            lock.unlock();
        }
        if (last != null) {
            try {
                last.await();
            } catch (ErrnoException ignored) {
                // a refused handle is its fsync's error, not sync's
            }
        }
    }

    private void committed(int seq) {
        boolean newer;
        lock.lock();
        try {
            newer = seq - commitSequence > 0;
            if (newer) {
                commitSequence = seq;
                forgetCommitted(seq);
            }
        } finally {
            lock.unlock();
        }
        if (newer) {
            onCommit.accept(seq);
        }
    }

    /** Under the lock: what is known committed needs no re-log after a restart. */
    private void forgetCommitted(int seq) {
        sent.removeIf(p -> {
            int t = p.tidIfKnown();
            return t >= 0 && t - seq <= 0;
        });
    }

    private void run() {
        while (!closed) {
            List<PendingHandle> batch = new ArrayList<>();
            boolean reload;
            long epoch;
            lock.lock();
            try {
                while (!reloadWanted && !closed && !dueToSend()) {
                    if (queue.isEmpty()) {
                        changed.awaitUninterruptibly();
                    } else {
                        try {
                            changed.awaitNanos(lingerLeftNanos()); // the linger's end, or an earlier hurry
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }
                if (closed) {
                    return;
                }
                reload = reloadWanted;
                int bytes = 0;
                while (!reload && !queue.isEmpty() && batch.size() < MAX_BATCH_HANDLES
                        && (batch.isEmpty() || bytes + queue.peekFirst().data.length <= MAX_BATCH_BYTES)) {
                    PendingHandle p = queue.pollFirst();
                    bytes += p.data.length;
                    batch.add(p);
                    sent.add(p); // from here a restart may lose it: it is re-logged unless known committed
                }
                if (queue.isEmpty()) {
                    hurried = false;
                } else {
                    oldestQueuedNanos = now(); // the rest was held back by the batch's size, not its age
                }
                inFlightLast = batch.isEmpty() ? null : batch.getLast();
                epoch = loaded.epoch();
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (reload) {
                reload(epoch);
                continue;
            }
            sendUntilTaken(batch, epoch);
        }
    }

    /** Under the lock: the queue holds a batch that should go now. */
    private boolean dueToSend() {
        if (queue.isEmpty()) {
            return false;
        }
        return hurried || queue.size() >= MAX_BATCH_HANDLES || lingerLeftNanos() <= 0;
    }

    /** Under the lock: nanoseconds until the oldest queued handle has lingered enough. */
    private long lingerLeftNanos() {
        long linger = settings.linger().toNanos();
        if (linger == 0) {
            return 0;
        }
        return oldestQueuedNanos + linger - now();
    }

    private void sendUntilTaken(List<PendingHandle> batch, long epoch) {
        long seq = nextSeq();
        while (!closed) {
            try {
                Jbd2Calls.BatchAck ack = send(batch, epoch, seq);
                lock.lock();
                try {
                    batches++;
                    handlesSent += batch.size();
                    inFlightLast = null;
                } finally {
                    lock.unlock();
                }
                // before the waiters wake: an fsync whose commit is already done then sends no wait
                committed(ack.commitSequence());
                // the commit the batch started is the last taken handle's: only its transaction has the promise
                int started = -1;
                for (int t : ack.tids()) {
                    started = t >= 0 ? t : started;
                }
                for (int i = 0; i < batch.size(); i++) {
                    int t = ack.tids().get(i);
                    if (t >= 0) {
                        batch.get(i).resolve(t, Boolean.TRUE.equals(ack.barrier()) && t == started);
                    } else {
                        String why = ack.errors() == null ? "refused" : ack.errors().get(i);
                        log.error("ext4: jbd2 refused a handle of {} (type {}, line {}): {}", batch.get(i).entry.comm(),
                                batch.get(i).entry.type(), batch.get(i).entry.lineNo(), why);
                        batch.get(i).fail(why);
                        lock.lock();
                        try {
                            sent.remove(batch.get(i));
                        } finally {
                            lock.unlock();
                        }
                    }
                }
                lock.lock();
                try {
                    forgetCommitted(ack.commitSequence()); // the tids just learnt
                } finally {
                    lock.unlock();
                }
                return;
            } catch (ErrnoException e) {
                if (!retryable(e.errno())) {
                    log.error("ext4: jbd2 refused a batch of {} handles: {}", batch.size(), e.getMessage());
                    lock.lock();
                    try {
                        sent.removeAll(batch);
                        inFlightLast = null;
                    } finally {
                        lock.unlock();
                    }
                    batch.forEach(p -> p.fail(e.getMessage()));
                    return;
                }
                log.warn("ext4: a batch of {} handles under epoch {} failed ({}); loading the journal again",
                        batch.size(), epoch, e.getMessage());
                long before = epoch;
                epoch = reload(epoch);
                if (epoch != before) {
                    // the batch goes again under the new epoch, after the re-logged blocks (which are older)
                    seq = nextSeq();
                }
                // same epoch (jbd2 was only slow): the same number again, so jbd2 applies it at most once
            }
        }
    }

    private long nextSeq() {
        lock.lock();
        try {
            return ++batchSeq;
        } finally {
            lock.unlock();
        }
    }

    private Jbd2Calls.BatchAck send(List<PendingHandle> batch, long epoch, long seq) {
        List<Jbd2Calls.BatchEntry> entries = new ArrayList<>(batch.size());
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (PendingHandle p : batch) {
            entries.add(p.entry);
            data.writeBytes(p.data);
        }
        Jbd2Calls.BatchEntry first = batch.getFirst().entry;
        TraceContext ctx = new TraceContext(first.traceId(), new Task(first.comm(), first.pid()));
        // an fsync waits for one of these handles: its jbd2_log_start_commit travels with them
        List<PendingHandle.Wanted> wanted = batch.stream().map(PendingHandle::takeForSend).toList();
        boolean startCommit = wanted.stream().anyMatch(PendingHandle.Wanted::commit);
        // every fsync that wants it found the pages over allocated blocks written: its T_FLUSH needs no call back here
        boolean orderedDataWritten = startCommit && wanted.stream().noneMatch(PendingHandle.Wanted::orderedDataDirty);
        return client.invoke(Jbd2Calls.SERVICE, Jbd2Calls.RUN_BATCH,
                new Jbd2Calls.RunBatch(epoch, seq, entries, startCommit, orderedDataWritten, data.toByteArray()),
                settings.callTimeout(), ctx);
    }

    /**
     * Loads again and re-logs every block whose latest logging is not known committed. Returns the new epoch. The
     * handles sent again afterwards (a failed batch, the queue) carry contents no older than the re-logged ones.
     */
    private long reload(long oldEpoch) {
        TraceContext ctx = TraceContext.of(RELOG_TASK);
        while (!closed) {
            Jbd2Calls.Loaded l = loadUntilAnswered(ctx);
            if (l.epoch() == oldEpoch) {
                // the same journal (a timeout, not a restart): jbd2 lost nothing, there is nothing to log again
                lock.lock();
                try {
                    reloadWanted = false;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                lock.lock();
                try {
                    reloads++;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                log.info("ext4: journal of {} still loaded under epoch {}; going on", settings.dev(), oldEpoch);
                return oldEpoch;
            }
            List<PendingHandle> lost = new ArrayList<>();
            Map<Long, byte[]> blocks = new LinkedHashMap<>();
            lock.lock();
            try {
                reloadWanted = false;
                for (PendingHandle p : sent) {
                    int t = p.tidIfKnown();
                    // not known committed: a recovered journal may skip tids (next tid = end of log + 2), so a tid
                    // below the new next tid can still be lost; re-logging a committed block again is harmless
                    // (an unanswered handle is in the failed batch, which is sent again right after)
                    if (p.answered() && t - commitSequence > 0) {
                        lost.add(p);
                        for (Map.Entry<Long, byte[]> b : p.blocks.entrySet()) {
                            blocks.remove(b.getKey()); // keep insertion order = newest logging last
                            blocks.put(b.getKey(), b.getValue());
                        }
                    }
                }
            } finally {
                lock.unlock();
            }
            List<PendingHandle> relog = relogHandles(blocks, l.maxTransaction());
            try {
                if (!relog.isEmpty()) {
                    List<PendingHandle> sentRelog = new ArrayList<>();
                    for (PendingHandle r : relog) {
                        Jbd2Calls.BatchAck ack = send(List.of(r), l.epoch(), nextSeq());
                        int t = ack.tids().getFirst();
                        if (t < 0) {
                            throw new ErrnoException(Errno.EIO, "jbd2 refused the re-logged blocks: " + ack.errors().getFirst());
                        }
                        r.resolve(t);
                        sentRelog.add(r);
                    }
                    PendingHandle last = relog.getLast();
                    lock.lock();
                    try {
                        for (PendingHandle p : lost) {
                            if (p.answered()) {
                                p.redirect(last); // its blocks are in the re-logged handles now
                                sent.remove(p);
                            }
                        }
                        sent.addAll(sentRelog);
                    } finally {
                        lock.unlock();
                    }
                    log.info("ext4: journal of {} loaded again (epoch {} after {}, next tid {}): {} blocks of {} handles"
                                    + " not known committed logged again in {} handles", settings.dev(), l.epoch(), oldEpoch,
                            Integer.toUnsignedString(l.nextTid()), blocks.size(), lost.size(), relog.size());
                } else {
                    log.info("ext4: journal of {} loaded again (epoch {} after {}); nothing to log again", settings.dev(),
                            l.epoch(), oldEpoch);
                }
                lock.lock();
                try {
                    loaded = l;
                    if (l.nextTid() - 1 - commitSequence > 0) {
                        commitSequence = l.nextTid() - 1;
                    }
                    reloads++;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                return l.epoch();
            } catch (ErrnoException e) {
                if (!retryable(e.errno())) {
                    throw e;
                }
                log.warn("ext4: re-logging under epoch {} failed ({}); loading again", l.epoch(), e.getMessage());
            }
        }
        throw new ErrnoException(Errno.EIO, "the filesystem was unmounted while the journal was reloading");
    }

    private List<PendingHandle> relogHandles(Map<Long, byte[]> blocks, int maxTransaction) {
        List<PendingHandle> out = new ArrayList<>();
        int per = Math.max(1, Math.min(maxTransaction / 4, 256));
        Iterator<Map.Entry<Long, byte[]>> it = blocks.entrySet().iterator();
        while (it.hasNext()) {
            List<Jbd2Calls.Op> ops = new ArrayList<>();
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            Map<Long, byte[]> logged = new LinkedHashMap<>();
            int n = 0;
            while (it.hasNext() && n < per) {
                Map.Entry<Long, byte[]> b = it.next();
                if (b.getValue() == null) {
                    ops.add(new Jbd2Calls.Op(Jbd2Calls.REVOKE, b.getKey()));
                } else {
                    ops.add(new Jbd2Calls.Op(Jbd2Calls.GET_WRITE_ACCESS, b.getKey()));
                    ops.add(new Jbd2Calls.Op(Jbd2Calls.DIRTY_METADATA, b.getKey()));
                    data.writeBytes(b.getValue());
                }
                logged.put(b.getKey(), b.getValue());
                n++;
            }
            long t = now();
            // type 4 (EXT4_HT_MISC), line 0: no kernel call site does this
            out.add(new PendingHandle(new Jbd2Calls.BatchEntry(n, 4, 0, ops, RELOG_TASK.comm(), RELOG_TASK.pid(),
                    TraceContext.newTraceId(), t, t), data.toByteArray(), logged));
        }
        return out;
    }

    private Jbd2Calls.Loaded loadUntilAnswered(TraceContext ctx) {
        long began = System.nanoTime();
        long lastLog = 0;
        while (!closed) {
            try {
                Jbd2Calls.Loaded l = client.invoke(Jbd2Calls.SERVICE, Jbd2Calls.LOAD,
                        new Jbd2Calls.Load(settings.dev(), settings.mountId()), settings.callTimeout(), ctx);
                onLoaded.accept(l);
                return l;
            } catch (ErrnoException e) {
                if (System.nanoTime() - lastLog > 5_000_000_000L) {
                    log.info("ext4: waiting for jbd2-service to load the journal of {} ({} s so far): {}", settings.dev(),
                            (System.nanoTime() - began) / 1_000_000_000L, e.getMessage());
                    lastLog = System.nanoTime();
                }
                lock.lock();
                try {
                    // retry pacing, not synchronisation; woken early by close
                    changed.await(settings.loadRetry().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                } finally {
                    lock.unlock();
                }
            }
        }
        throw new ErrnoException(Errno.EIO, "the journal of " + settings.dev() + " was not loaded: unmounted meanwhile");
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            for (PendingHandle p : queue) {
                p.fail("unmounted before the handle reached jbd2");
            }
            queue.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
