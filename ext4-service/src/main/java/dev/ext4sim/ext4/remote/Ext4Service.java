package dev.ext4sim.ext4.remote;

import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceClock;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ext4.fs.Ext4Mount;
import dev.ext4sim.ext4.fs.MountOptions;
import dev.ext4sim.ext4.port.BlockPort;
import dev.ext4sim.ext4.port.WritebackPort;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mounted filesystem of this ext4-service: mounts at start once blockdev and jbd2 answer (the mount task is
 * {@code mount-1}, as if mount(8) ran), and unmounts cleanly on shutdown (sync, jbd2 flush, needs_recovery off).
 */
public final class Ext4Service {
    private static final Logger log = LoggerFactory.getLogger(Ext4Service.class);
    static final Task MOUNT_TASK = new Task("mount", 1);

    private final String dev;
    private final BlockPort block;
    private final JournalPump journal;
    private final WritebackPort writeback;
    private final Tracer tracer;
    private final TraceClock clock;
    private final Duration retry;
    private final Duration timeGranularity;
    private volatile long pageCacheLimit;
    private volatile MountOptions mountOptions = MountOptions.DEFAULTS;
    private final Consumer<String> crashPoints;
    private final CountDownLatch mountedLatch = new CountDownLatch(1);
    private volatile Ext4Mount mount;
    private volatile boolean stopping;
    private Thread mounter;
    private volatile Consumer<Ext4Mount.AioCompletion> kiComplete = c -> {
    };
    /** The dio/sda1 workqueue's worker: runs the mount's queued AIO completions, one round at a time. */
    private final ExecutorService dioWorker = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("dio-worker").factory());

    public Ext4Service(String dev, BlockPort block, JournalPump journal, WritebackPort writeback, Tracer tracer,
                       TraceClock clock, Duration retry) {
        this(dev, block, journal, writeback, tracer, clock, retry, Duration.ofMillis(4));
    }

    /** How much file data each mount's page cache keeps before it reclaims clean pages (Ext4Mount#pageCacheLimit). */
    public void pageCacheLimit(long bytes) {
        this.pageCacheLimit = bytes;
    }

    /** What each mount is asked for (MountOptions#parse): nodelalloc, data=writeback; the defaults otherwise. */
    public void mountOptions(MountOptions options) {
        this.mountOptions = java.util.Objects.requireNonNull(options);
    }

    /** @param timeGranularity of inode times (Ext4Mount#timeGranularity) */
    public Ext4Service(String dev, BlockPort block, JournalPump journal, WritebackPort writeback, Tracer tracer,
                       TraceClock clock, Duration retry, Duration timeGranularity) {
        this(dev, block, journal, writeback, tracer, clock, retry, timeGranularity, point -> {
        });
    }

    /** @param crashPoints told each of Ext4CrashPoints as the mounted filesystem reaches it */
    public Ext4Service(String dev, BlockPort block, JournalPump journal, WritebackPort writeback, Tracer tracer,
                       TraceClock clock, Duration retry, Duration timeGranularity, Consumer<String> crashPoints) {
        this.crashPoints = crashPoints;
        this.timeGranularity = timeGranularity;
        this.dev = dev;
        this.block = block;
        this.journal = journal;
        this.writeback = writeback;
        this.tracer = tracer;
        this.clock = clock;
        this.retry = retry;
    }

    /** Where each mount's completions of queued AIO writes go (Ext4Mount#kiComplete). */
    public void kiComplete(Consumer<Ext4Mount.AioCompletion> sink) {
        this.kiComplete = sink;
    }

    /** The mounted filesystem, or null before the mount finished. */
    public Ext4Mount mount() {
        return mount;
    }

    public JournalPump journal() {
        return journal;
    }

    public boolean awaitMounted(Duration timeout) throws InterruptedException {
        return mountedLatch.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Mounts in the background, retrying while blockdev (or the journal) does not answer. */
    public void start() {
        mounter = Thread.ofVirtual().name("ext4-mount-" + dev).start(this::mountWithRetry);
    }

    private void mountWithRetry() {
        long began = System.nanoTime();
        long lastLog = 0;
        // the core reads jiffies from nanoTime: give it the shared trace clock
        Time time = new Time() {
            @Override
            public long nanoTime() {
                return clock.nanosSinceBoot();
            }

            @Override
            public long currentTimeMillis() {
                return System.currentTimeMillis();
            }
        };
        while (!stopping) {
            try {
                TraceContext ctx = TraceContext.of(MOUNT_TASK);
                Ext4Mount m = Ext4Mount.mount(ctx, block, journal, writeback, tracer, time, mountOptions);
                m.timeGranularity(timeGranularity);
                m.pageCacheLimit(pageCacheLimit);
                m.crashPoints(crashPoints);
                m.kiComplete(c -> kiComplete.accept(c));
                m.dioWorker(() -> dioWorker.execute(() -> runDioWork(m)));
                for (dev.ext4sim.ext4.fs.KernelMessage msg : m.mountMessages()) {
                    if (msg.error()) {
                        log.error(msg.line(dev, MOUNT_TASK.comm()));
                    } else {
                        log.info(msg.line(dev, MOUNT_TASK.comm()));
                    }
                }
                journal.onCommit(m::journalCommitCallback);
                mount = m;
                mountedLatch.countDown();
                if (m.options().journalData()) {
                    log.warn("EXT4-fs: {}", MountOptions.JOURNAL_DATA_WARNING);
                }
                log.info("EXT4-fs ({}): {} ({} ms after start)", dev, m.options().mountedMessage(),
                        (System.nanoTime() - began) / 1_000_000);
                return;
            } catch (ErrnoException e) {
                if (System.nanoTime() - lastLog > 5_000_000_000L) {
                    log.info("ext4: waiting to mount {} ({} s so far): {}", dev, (System.nanoTime() - began) / 1_000_000_000L,
                            e.getMessage());
                    lastLog = System.nanoTime();
                }
                try {
                    Thread.sleep(retry.toMillis()); // retry pacing while blockdev starts, not synchronisation
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private static void runDioWork(Ext4Mount m) {
        try {
            m.runDioWork();
        } catch (RuntimeException e) {
            log.error("dio/sda1: an AIO completion failed; its iocb stays incomplete: {}", e.getMessage(), e);
        }
    }

    /** ext4_put_super, bounded: a journal that does not answer leaves needs_recovery set, as a crash would. */
    public void stop(Duration timeout) {
        stopping = true;
        if (mounter != null) {
            mounter.interrupt();
        }
        Ext4Mount m = mount;
        if (m != null) {
            Thread t = Thread.ofVirtual().name("ext4-umount").start(() -> {
                try {
                    m.unmount(TraceContext.of(new Task("umount", 1)));
                    log.info("EXT4-fs ({}): unmounted cleanly", dev);
                } catch (RuntimeException e) {
                    log.warn("EXT4-fs ({}): unmount failed, the journal will be recovered at the next mount: {}", dev,
                            e.getMessage());
                }
            });
            try {
                if (!t.join(timeout)) {
                    log.warn("EXT4-fs ({}): unmount did not finish within {} s; the journal will be recovered", dev,
                            timeout.toSeconds());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        dioWorker.shutdownNow();
        journal.close();
    }
}
