package dev.ext4sim.jbd2.remote;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.crash.CrashPoints;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.bus.writeback.WritebackCalls;
import dev.ext4sim.jbd2.io.BlockIoPort;
import dev.ext4sim.jbd2.io.BusBlockDevice;
import dev.ext4sim.jbd2.io.LoadReads;
import dev.ext4sim.jbd2.journal.CommitListener;
import dev.ext4sim.jbd2.journal.Handle;
import dev.ext4sim.jbd2.journal.IoBatch;
import dev.ext4sim.jbd2.journal.Jbd2CrashPoints;
import dev.ext4sim.jbd2.journal.Jbd2Trace;
import dev.ext4sim.jbd2.journal.Journal;
import dev.ext4sim.jbd2.journal.JournalBmap;
import dev.ext4sim.jbd2.journal.JournalConfig;
import dev.ext4sim.jbd2.journal.Kjournald2;
import dev.ext4sim.jbd2.journal.OrderedData;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.Ext4Journal;
import dev.ext4sim.ondisk.ext4.Extent;
import dev.ext4sim.ondisk.jbd2.RecoveryResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal of the one filesystem this jbd2-service serves, loaded by ext4's mount ({@code ext4_load_journal} →
 * {@code jbd2_journal_load}): the filesystem and journal superblocks are read through blockdev, the log is recovered
 * if the filesystem needs it (SCAN, REVOKE, REPLAY), the journal is reset and kjournald2 started. Each load gets a
 * new epoch; every other request names the epoch it was issued under and is refused with ESTALE when that is not
 * the loaded journal's, so a request from before a restart never touches the journal of the next load.
 */
public final class JournalHost implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JournalHost.class);

    /**
     * A recovery this process ran: when it ended ({@link Time#currentTimeMillis()}) and how many transactions it
     * replayed (none when the log held nothing committed past the checkpoint).
     */
    public record Recovered(long endedMillis, int transactionsReplayed) {
    }

    /** What a load needs besides the device. */
    public record Settings(String dev, JournalConfig config, Duration handleLease) {
        public Settings {
            Objects.requireNonNull(dev);
            Objects.requireNonNull(config);
            Objects.requireNonNull(handleLease);
        }
    }

    /** i_mode of the block device inode. */
    private static final int S_IFBLK = 0060000;

    private final Settings settings;
    private final Time time;
    private final Scheduler scheduler;
    private final Tracer tracer;
    private final BlockIoPort blockIo;
    private final OrderedData orderedData;
    private final CrashPoints crashPoints;
    private final CommitListener listener;
    private final Consumer<Handle> onLeaseExpired;
    private final Consumer<Jbd2Calls.Loaded> onLoaded;
    private final Epochs epochs;
    private volatile Consumer<WritebackCalls.InodeDirtied> bdevDirtied = e -> {
    };
    private final ReentrantLock loadLock = new ReentrantLock();
    private volatile LoadedJournal current;
    private volatile Recovered lastRecovery;
    private volatile boolean closed;
    /** The mount id of the ext4 instance that loaded the journal last (null: none said). */
    private String mountOwner;

    public JournalHost(Settings settings, Time time, Scheduler scheduler, Tracer tracer, BlockIoPort blockIo,
                       OrderedData orderedData, CommitListener listener, Consumer<Handle> onLeaseExpired,
                       Consumer<Jbd2Calls.Loaded> onLoaded) {
        this(settings, time, scheduler, tracer, blockIo, orderedData, listener, onLeaseExpired, onLoaded,
                new CrashPoints(Jbd2CrashPoints.POINTS, new java.util.Random(), CrashPoints.halt()));
    }

    /** With the crash points the journals it loads stop at (jbd2-service's, armed over REST). */
    public JournalHost(Settings settings, Time time, Scheduler scheduler, Tracer tracer, BlockIoPort blockIo,
                       OrderedData orderedData, CommitListener listener, Consumer<Handle> onLeaseExpired,
                       Consumer<Jbd2Calls.Loaded> onLoaded, CrashPoints crashPoints) {
        this.crashPoints = Objects.requireNonNull(crashPoints);
        this.settings = Objects.requireNonNull(settings);
        this.time = Objects.requireNonNull(time);
        this.scheduler = Objects.requireNonNull(scheduler);
        this.tracer = Objects.requireNonNull(tracer);
        this.blockIo = Objects.requireNonNull(blockIo);
        this.orderedData = Objects.requireNonNull(orderedData);
        this.listener = Objects.requireNonNull(listener);
        this.onLeaseExpired = Objects.requireNonNull(onLeaseExpired);
        this.onLoaded = Objects.requireNonNull(onLoaded);
        this.epochs = new Epochs(time);
    }

    /** Told when the block device inode joins the bdi's dirty list (the 6.x profile's flusher writes its pages). */
    public void onBdevDirtied(Consumer<WritebackCalls.InodeDirtied> listener) {
        this.bdevDirtied = Objects.requireNonNull(listener);
    }

    public Settings settings() {
        return settings;
    }

    /** The loaded journal, if any (metrics, /proc info). */
    public Optional<LoadedJournal> current() {
        return Optional.ofNullable(current);
    }

    /** The last recovery this process ran, whether the load that ran it then succeeded or not. */
    public Optional<Recovered> lastRecovery() {
        return Optional.ofNullable(lastRecovery);
    }

    /**
     * {@code jbd2_journal_load} for {@code dev}. Idempotent while the loaded journal is healthy: the same epoch is
     * answered again. A journal that aborted (a write failed) is unloaded and loaded anew, which recovers what it
     * had committed.
     */
    public Jbd2Calls.Loaded load(String dev, TraceContext ctx) {
        return load(dev, null, ctx);
    }

    /**
     * As {@link #load(String, TraceContext)}; when {@code mountId} names another ext4 instance than the one that
     * loaded the journal (ext4-service restarted), everything running is committed and checkpointed home first, so
     * the new mount reads committed metadata from disk, and the journal is loaded anew with a new epoch: the dead
     * mount's requests then get ESTALE.
     */
    public Jbd2Calls.Loaded load(String dev, String mountId, TraceContext ctx) {
        if (!settings.dev().equals(dev)) {
            throw new ErrnoException(Errno.ENODEV, "this jbd2-service journals " + settings.dev() + ", not " + dev
                    + " (ext4sim.jbd2.dev)");
        }
        loadLock.lock();
        try {
            if (closed) {
                throw new ErrnoException(Errno.EIO, "jbd2-service is shutting down");
            }
            LoadedJournal c = current;
            if (c != null && !c.journal().isAborted() && mountId != null && mountOwner != null
                    && !mountId.equals(mountOwner)) {
                log.info("jbd2: journal {} loaded by mount {} is loaded by mount {}: flushing it (commit, checkpoint)"
                        + " before a new epoch", settings.config().devName(), mountOwner, mountId);
                c.journal().jbd2_journal_flush(ctx);
                current = null;
                c.unload();
                c = null;
            }
            if (mountId != null) {
                mountOwner = mountId;
            }
            if (c != null && !c.journal().isAborted()) {
                return c.loaded();
            }
            if (c != null) {
                log.warn("jbd2: journal {} aborted; loading it again (epoch {} ends)", settings.config().devName(), c.epoch());
                current = null;
                c.unload();
            }
            LoadedJournal loaded = loadNow(ctx);
            current = loaded;
            onLoaded.accept(loaded.loaded());
            return loaded.loaded();
        } finally {
            loadLock.unlock();
        }
    }

    /**
     * Whether the filesystem was left mounted (needs_recovery set): a jbd2-service started after its predecessor
     * died loads and recovers at once, so the journal resumes without an operator.
     */
    public boolean needsRecovery() {
        BusBlockDevice dev = BusBlockDevice.open(blockIo, settings.dev());
        return Ext4Filesystem.open(dev).needsRecovery();
    }

    private LoadedJournal loadNow(TraceContext ctx) {
        long began = time.nanoTime();
        JournalConfig config = settings.config();
        BusBlockDevice dev = BusBlockDevice.open(blockIo, settings.dev());
        boolean recover = Ext4Filesystem.open(dev).needsRecovery();
        if (recover) {
            log.info("EXT4-fs ({}): recovery required; jbd2: recovering journal {} (SCAN, REVOKE, REPLAY)",
                    settings.dev(), config.devName());
        }
        // One plug for the whole load: the replay's home writes and superblock updates go to blockdev in few calls,
        // the on-disk code's flushes becoming PREFLUSH/FUA on the next write (see BusBlockDevice).
        LoadReads reads = new LoadReads(dev);
        Mount mount = dev.batch(() -> {
            Ext4Journal.Mounted m = Ext4Journal.mount(reads);
            return new Mount(m, Ext4Filesystem.open(dev).journalExtents());
        });
        Ext4Journal.Mounted mounted = mount.mounted();
        long loadNanos = time.nanoTime() - began;
        Optional<RecoveryResult> recovered = mounted.recovered();
        recovered.ifPresent(r -> {
            lastRecovery = new Recovered(time.currentTimeMillis(), r.transactionsReplayed());
            logRecovery(r, loadNanos);
        });
        Jbd2Trace trace = new Jbd2Trace(tracer, config);
        if (recovered.isPresent()) {
            trace.writeSuperblock(ctx, Jbd2Trace.REQ_SYNC | Jbd2Trace.REQ_FUA);
        }
        // the writer's points come with the writes before them: they would have left the plug without the batching
        mounted.journal().setPoints(point -> crashPoints.hit(point, dev::sendPending));
        JournalBmap bmap = JournalBmap.afterLoad(tracer, config.devT(), mount.journalExtents(), reads.stop());
        Journal journal = new Journal(config, time, scheduler, trace, mounted.journal(), bmap,
                IoBatch.of(dev::batch, dev::sendPending), orderedData, listener);
        journal.attachBdev(new Journal.BdevIo() {
            @Override
            public void writeHome(TraceContext ctx, List<Long> blocks, List<byte[]> data, boolean sync) {
                int sectors = dev.blockSize() / 512;
                List<BlockIo.Bio> bios = new ArrayList<>();
                java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                for (int i = 0; i < blocks.size(); i++) {
                    bios.add(sync ? BlockIo.Bio.write(blocks.get(i) * sectors, data.get(i).length, BlockIo.SYNC,
                            BlockIo.META) : BlockIo.Bio.write(blocks.get(i) * sectors, data.get(i).length, BlockIo.META));
                    bytes.writeBytes(data.get(i));
                }
                // blkdev_writepages runs only in the flusher's round, inside wb_writeback's plug
                blockIo.submit(new BlockIo.Submit(settings.dev(), bios, bytes.toByteArray()).underPlug(true), ctx);
            }

            @Override
            public void inodeDirtied(long ino, int state, long dirtiedWhen) {
                // no trace context: jbd2 traced writeback_dirty_inode_enqueue itself, as the bdev inode prints it
                bdevDirtied.accept(new WritebackCalls.InodeDirtied(settings.dev(), ino, state, state, S_IFBLK,
                        dirtiedWhen));
            }
        });
        Kjournald2 kjournald2 = new Kjournald2(journal, crashPoints).start();
        Jbd2Calls.Loaded loaded = new Jbd2Calls.Loaded(epochs.next(), settings.dev(), mounted.journal().nextTid(),
                journal.maxTransactionBuffers(), recovered.map(RecoveryResult::transactionsReplayed).orElse(0),
                recovered.map(RecoveryResult::blocksReplayed).orElse(0L), blockIo.powerOn());
        log.info("jbd2: journal {} loaded in {} ms: epoch {}, next transaction {}, {} log blocks, transactions of up to {} blocks",
                config.devName(), TimeUnit.NANOSECONDS.toMillis(loadNanos), loaded.epoch(),
                Integer.toUnsignedString(loaded.nextTid()), journal.capacity(), loaded.maxTransaction());
        return new LoadedJournal(loaded, journal, kjournald2, dev,
                new RemoteHandles(journal, time, scheduler, settings.handleLease(), onLeaseExpired));
    }

    /** What the load's plug brings back: the mounted journal and the extents of inode 8, read after any replay. */
    private record Mount(Ext4Journal.Mounted mounted, List<Extent> journalExtents) {
    }

    private void logRecovery(RecoveryResult r, long nanos) {
        // The kernel's jbd_debug lines of jbd2_journal_recover, then ext4's.
        log.info("JBD2: recovery pass SCAN: end of log at transaction {}; REVOKE: {} revoke records; REPLAY: {} blocks"
                        + " replayed, {} skipped as revoked", Integer.toUnsignedString(r.endTid()), r.revokeRecords(),
                r.blocksReplayed(), r.blocksRevoked());
        log.info("JBD2: recovery, exit status {}, recovered transactions {} to {}", r.clean() ? 0 : -5,
                Integer.toUnsignedString(r.startTid()), Integer.toUnsignedString(r.endTid() - 1));
        r.failedCommit().ifPresent(tid -> log.warn("JBD2: Journal transaction {} was corrupt, replay was aborted.",
                Integer.toUnsignedString(tid)));
        r.errors().forEach(e -> log.warn("JBD2: recovery error: {}", e));
        log.info("EXT4-fs ({}): recovery complete in {} ms (s_sequence {} written, as e2fsck leaves it)", settings.dev(),
                TimeUnit.NANOSECONDS.toMillis(nanos), Integer.toUnsignedString(r.nextTid()));
    }

    /**
     * The loaded journal if {@code epoch} is its epoch. A request that arrives while a load is under way waits for
     * it (at most {@code wait}).
     */
    public LoadedJournal fenced(long epoch, Duration wait) {
        LoadedJournal c = current;
        if (c == null && loadLock.isLocked()) {
            try {
                if (loadLock.tryLock(wait.toNanos(), TimeUnit.NANOSECONDS)) {
                    loadLock.unlock();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            c = current;
        }
        if (c == null) {
            throw new ErrnoException(Errno.ENODEV, "the journal of " + settings.dev() + " is not loaded; ext4 must"
                    + " mount first (" + Jbd2Calls.LOAD.name() + ")");
        }
        if (c.epoch() != epoch) {
            throw new ErrnoException(Errno.ESTALE, "epoch " + epoch + " is not the loaded journal's (epoch "
                    + c.epoch() + ", loaded after a restart or a reload); load the journal again ("
                    + Jbd2Calls.LOAD.name() + ") and redo the operation under the new epoch");
        }
        return c;
    }

    @Override
    public void close() {
        loadLock.lock();
        try {
            closed = true;
            LoadedJournal c = current;
            current = null;
            if (c != null) {
                c.unload();
            }
        } finally {
            loadLock.unlock();
        }
    }
}
