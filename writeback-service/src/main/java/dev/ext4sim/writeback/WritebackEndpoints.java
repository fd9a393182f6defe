package dev.ext4sim.writeback;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.call.CallContext;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.call.Events;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.writeback.WritebackCalls;
import dev.ext4sim.writeback.wb.Ext4Port;
import dev.ext4sim.writeback.wb.InodeState;
import dev.ext4sim.writeback.wb.Jiffies;
import dev.ext4sim.writeback.wb.PageWriteback;
import dev.ext4sim.writeback.wb.Writeback;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * writeback-service on the bus, without Spring: the {@link WritebackCalls} it serves, the events it reads
 * (block_device_added and ext4's notifications), and the DIRTY_LIMITS it publishes. Every message is turned into
 * one call of the {@link Writeback} core; device names become dev_t through {@link DevNames}.
 */
final class WritebackEndpoints {
    private static final Logger log = LoggerFactory.getLogger(WritebackEndpoints.class);
    /** The task of a call that came without a trace context (a test tool, not a kernel path). */
    private static final Task UNKNOWN = new Task("<...>", 0);

    private final Writeback writeback;
    private final DevNames names;
    private final BdiList bdis;
    private final Events events;
    private final Consumer<Duration> pauses;
    private final Set<String> filesystems;
    private final DirtyInodesSource ext4;
    private volatile boolean warnedJiffies;

    /** ext4_dirty_inodes within a deadline: what sync merges before it queues its work. */
    @FunctionalInterface
    interface DirtyInodesSource {
        List<Ext4Port.DirtyInode> dirtyInodes(int dev, Duration timeout);
    }

    /**
     * @param events where DIRTY_LIMITS is published
     * @param pauses      told of every non-zero balance_dirty_pages pause (the metrics' histogram)
     * @param filesystems the configured filesystems: the only names resolved without an announcement
     * @param ext4        asked by sync for the inodes dirty right now
     */
    WritebackEndpoints(Writeback writeback, DevNames names, BdiList bdis, Events events, Consumer<Duration> pauses,
                       Collection<String> filesystems, DirtyInodesSource ext4) {
        this.ext4 = Objects.requireNonNull(ext4);
        this.filesystems = Set.copyOf(filesystems);
        this.writeback = Objects.requireNonNull(writeback);
        this.names = Objects.requireNonNull(names);
        this.bdis = Objects.requireNonNull(bdis);
        this.events = Objects.requireNonNull(events);
        this.pauses = Objects.requireNonNull(pauses);
    }

    void register(CallServer server) {
        server.register(WritebackCalls.SYNC_INODES, this::syncInodes)
                .register(WritebackCalls.SYSCTL, this::sysctl)
                .register(WritebackCalls.GET_DIRTY_LIMITS, (q, ctx) -> dirtyLimits())
                .register(WritebackCalls.BALANCE_DIRTY_PAGES, this::balanceDirtyPages);
    }

    void subscribe(Events in) {
        in.subscribe(BlockIo.DEVICE_ADDED, (d, trace) -> quietly("block_device_added", () -> deviceAdded(d)))
                .subscribe(WritebackCalls.INODE_DIRTIED, (e, trace) -> quietly("inode dirtied",
                        () -> inodeDirtied(e, trace)))
                .subscribe(WritebackCalls.PAGE_COUNTERS, (e, trace) -> quietly("page counters", () -> pageCounters(e)))
                .subscribe(WritebackCalls.INODE_EVICTED, (e, trace) -> quietly("inode evicted",
                        () -> writeback.evict_inode(dev(e.dev()), e.ino())));
    }

    /** An event has nobody to answer: a bad one is logged and changes nothing. */
    private static void quietly(String what, Runnable handler) {
        try {
            handler.run();
        } catch (ErrnoException e) {
            log.warn("ignored {} event: {} {}", what, e.errno(), e.detail());
        }
    }

    // ---- events -----------------------------------------------------------------------------------------------

    /** bdi_register: the disk's bdi_writeback and its flusher; a disk announced again keeps its wb. */
    void deviceAdded(BlockIo.DeviceAdded d) {
        var wb = writeback.bdi_register(d);
        names.learn(d);
        bdis.register(d);
        log.info("bdi {} registered for {} ({},{}) with partitions {}: flusher {}", wb.name(), d.disk(), d.major(),
                d.minor(), d.partitions().stream().map(BlockIo.Partition::name).toList(), wb.worker());
    }

    /**
     * __mark_inode_dirty's list half, in the writer's task. The bits queued are the inode's dirty state (what
     * joined b_dirty); a dirtied_when below INITIAL_JIFFIES cannot come from the shared jiffies clock (a sender that
     * counts from 0) and is stamped now rather than taken as minutes old.
     */
    void inodeDirtied(WritebackCalls.InodeDirtied e, TraceContext writer) {
        int bits = e.state() & InodeState.I_DIRTY_ALL;
        if (bits == 0) {
            bits = e.flags() & InodeState.I_DIRTY_ALL;
        }
        long now = writeback.jiffies().now();
        long when = e.dirtiedWhen();
        if (when < Jiffies.INITIAL_JIFFIES) {
            if (!warnedJiffies) {
                warnedJiffies = true;
                log.warn("dirtied_when {} of inode {} is below INITIAL_JIFFIES {}: the sender's jiffies do not count"
                        + " from INITIAL_JIFFIES on the shared trace clock; stamping such inodes with writeback's now",
                        when, e.ino(), Jiffies.INITIAL_JIFFIES);
            }
            when = now;
        }
        writeback.mark_inode_dirty(dev(e.dev()), e.ino(), bits, when, e.mode(), writer, e.observedNanos());
    }

    void pageCounters(WritebackCalls.PageCounters e) {
        if (!writeback.page_counters(dev(e.dev()), e.seq(), e.dirtyPages(), e.writebackPages(),
                e.dirtiedPages(), e.writtenPages())) {
            log.debug("dropped page counters seq {} of {}: a newer report was applied", e.seq(), e.dev());
        }
    }

    // ---- calls ------------------------------------------------------------------------------------------------

    /**
     * sync(2)'s writeback half: wakeup_flusher_threads, then sync_inodes_sb's WB_SYNC_ALL work on the filesystem;
     * answered when the flusher finished it, or ETIMEDOUT when the caller's deadline passes first (the work stays
     * queued and still runs).
     *
     * <p>In the kernel an inode is on b_dirty the moment write() dirtied it; here ext4's writeback_inode_dirtied
     * event may still be on its way when sync arrives. So sync first merges ext4's dirty inodes (ext4_dirty_inodes,
     * with half the caller's remaining time): an inode already queued keeps its place, a missing one is queued. If
     * ext4 does not answer, sync goes on with what writeback knows.
     */
    WritebackCalls.Synced syncInodes(WritebackCalls.SyncInodes q, CallContext ctx) throws InterruptedException {
        int dev = dev(q.dev());
        TraceContext caller = caller(ctx);
        try {
            writeback.rebuild(dev, ext4.dirtyInodes(dev, ctx.remaining().dividedBy(2)));
        } catch (ErrnoException e) {
            log.warn("sync of {}: ext4 did not list its dirty inodes ({}: {}); syncing the inodes writeback knows",
                    q.dev(), e.errno(), e.detail());
        }
        CompletableFuture<Long> done = writeback.sync_written(dev, caller);
        try {
            return new WritebackCalls.Synced(done.get(ctx.remaining().toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            throw new ErrnoException(Errno.ETIMEDOUT, "the flusher of " + q.dev() + " did not finish the sync work"
                    + " before the caller's deadline; it is still queued");
        } catch (ExecutionException e) {
            throw new ErrnoException(Errno.EIO, "sync of " + q.dev() + " failed: " + e.getCause());
        }
    }

    /** /proc/sys/vm/dirty_*: a read, or a write (then the new thresholds are published). */
    WritebackCalls.SysctlValue sysctl(WritebackCalls.Sysctl q, CallContext ctx) {
        if (q.name() == null || q.name().isBlank()) {
            throw new ErrnoException(Errno.EINVAL, "a sysctl name such as vm.dirty_expire_centisecs is needed");
        }
        if (q.value() != null) {
            writeback.sysctl().write(q.name(), q.value());
            log.info("sysctl {} = {}", q.name(), writeback.sysctl().get(q.name()));
            publishDirtyLimits();
        }
        return new WritebackCalls.SysctlValue(q.name(), Long.toString(writeback.sysctl().get(q.name())));
    }

    /** global_dirty_limits in pages. */
    WritebackCalls.DirtyLimits dirtyLimits() {
        PageWriteback.DirtyLimits l = writeback.pageWriteback().domain_dirty_limits(null);
        return new WritebackCalls.DirtyLimits(l.bgThresh(), l.thresh(), l.freerun());
    }

    CompletableFuture<Void> publishDirtyLimits() {
        return events.publish(WritebackCalls.DIRTY_LIMITS, null, dirtyLimits(), null);
    }

    /** balance_dirty_pages_ratelimited in the writer's task (the call's trace context). */
    WritebackCalls.Pause balanceDirtyPages(WritebackCalls.Balance q, CallContext ctx) {
        if (q.pagesDirtied() < 0) {
            throw new ErrnoException(Errno.EINVAL, "pages dirtied cannot be negative, got " + q.pagesDirtied());
        }
        if (ctx.trace() == null) {
            throw new ErrnoException(Errno.EINVAL, "balance_dirty_pages runs in the writer's task: the call needs its"
                    + " trace context");
        }
        Duration pause = writeback.balance_dirty_pages_ratelimited(dev(q.dev()), q.pagesDirtied(), ctx.trace());
        if (!pause.isZero()) {
            pauses.accept(pause);
        }
        return new WritebackCalls.Pause(pause.toNanos());
    }

    // ---- devices ----------------------------------------------------------------------------------------------

    /**
     * dev_t of a filesystem or disk named on the bus. A configured filesystem that no announcement taught this
     * instance (it restarted after the disk was announced) registers the disk the sd numbering gives it, so nothing
     * waits for an announcement that will not come again; any other unknown name is ENODEV and registers nothing.
     */
    int dev(String name) {
        if (!names.known(name) && filesystems.contains(name)) {
            DevNames.sdDisk(name).ifPresent(d -> {
                log.info("{} was not announced to this instance: registering disk {} (bdi {}) by the sd numbering",
                        name, d.disk(), d.bdi());
                deviceAdded(d);
            });
        }
        return names.devT(name);
    }

    private static TraceContext caller(CallContext ctx) {
        return ctx.trace() != null ? ctx.trace() : TraceContext.of(UNKNOWN);
    }
}
