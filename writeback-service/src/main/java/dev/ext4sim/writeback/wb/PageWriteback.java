package dev.ext4sim.writeback.wb;

import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * mm/page-writeback.c: the dirty thresholds of the global wb_domain from the vm.dirty_* sysctls and the dirtyable
 * memory (domain_dirty_limits, with global_dirty_state), the domain's dirty_limit that follows the threshold
 * (update_dirty_limit), the background check (wb_over_bg_thresh) and the writer throttle (balance_dirty_pages).
 *
 * <p>The throttle keeps the kernel's shape with simpler inputs: below the freerun ceiling ((bg_thresh + thresh) / 2)
 * a writer is not paused; above it the position ratio is the kernel's cubic pos_ratio_polynom around the setpoint
 * (halfway between freerun and dirty_limit), 2 at freerun, 1 at the setpoint, 0 at the limit; the task's rate is the
 * wb's dirty_ratelimit (INIT_BW, not estimated) times that ratio; the pause is the time the task's dirtied pages take
 * at that rate, less its think time, at most MAX_PAUSE (200 ms). Per-wb thresholds, memcg domains, the min-pause
 * heuristics and the bandwidth estimator are left out.
 */
public final class PageWriteback {
    /** MAX_PAUSE: HZ/5. */
    public static final Duration MAX_PAUSE = Duration.ofMillis(200);
    /** BANDWIDTH_INTERVAL: how often dirty_limit moves. */
    static final long BANDWIDTH_INTERVAL_MS = 200;
    static final int RATELIMIT_CALC_SHIFT = 10;
    /** A new task's nr_dirtied_pause: 128 KiB worth of pages (copy_process). */
    static final long INIT_NR_DIRTIED_PAUSE = 128 >> (12 - 10);
    /** The ratelimit while the wb's dirty_exceeded is set: 32 KiB worth. */
    static final long DIRTY_EXCEEDED_RATELIMIT = 32 >> (12 - 10);
    private static final int MAX_TASKS = 4096;

    private final Sysctl sysctl;
    private final VmStat vm;
    private final Jiffies jiffies;
    private final WritebackTrace trace;
    private final long dirtyableMemoryPages;
    private final Map<Task, TaskDirty> tasks = new ConcurrentHashMap<>();
    private long dirtyLimit;
    private long lastLimitUpdate;

    /** The thresholds of one domain_dirty_limits, in pages. */
    public record DirtyLimits(long bgThresh, long thresh) {
        /** dirty_freerun_ceiling. */
        public long freerun() {
            return (thresh + bgThresh) / 2;
        }
    }

    /** What balance_dirty_pages decided: how long the writer sleeps, and the figures it used (pages, pages/s). */
    public record Throttle(Duration pause, long dirty, long freerun, long setpoint, long limit, long taskRatelimit) {
    }

    /** Per task_struct: nr_dirtied, nr_dirtied_pause, dirty_paused_when (trace-clock ns, 0 = never). */
    private static final class TaskDirty {
        long nrDirtied;
        long nrDirtiedPause = INIT_NR_DIRTIED_PAUSE;
        long dirtyPausedWhen;
    }

    /**
     * @param dirtyableMemoryBytes global_dirtyable_memory: free plus file-backed memory the ratios apply to (the
     *                             simulated machine's, e.g. 1 GiB)
     */
    public PageWriteback(Sysctl sysctl, VmStat vm, Jiffies jiffies, WritebackTrace trace, long dirtyableMemoryBytes) {
        this.sysctl = Objects.requireNonNull(sysctl);
        this.vm = Objects.requireNonNull(vm);
        this.jiffies = Objects.requireNonNull(jiffies);
        this.trace = Objects.requireNonNull(trace);
        if (dirtyableMemoryBytes < Sysctl.PAGE_SIZE) {
            throw new IllegalArgumentException("dirtyable memory must be at least a page, got " + dirtyableMemoryBytes);
        }
        this.dirtyableMemoryPages = dirtyableMemoryBytes / Sysctl.PAGE_SIZE;
        writeback_set_ratelimit();
        sysctl.addListener((name, value) -> {
            if (name.equals(Sysctl.DIRTY_RATIO) || name.equals(Sysctl.DIRTY_BYTES)) {
                writeback_set_ratelimit();
            }
        });
    }

    public long global_dirtyable_memory() {
        return dirtyableMemoryPages;
    }

    /** global_wb_domain.dirty_limit, in pages. */
    public synchronized long dirty_limit() {
        return dirtyLimit;
    }

    /**
     * domain_dirty_limits of the global domain: thresh from dirty_bytes or dirty_ratio, bg_thresh from
     * dirty_background_bytes or dirty_background_ratio (the ratios in per-PAGE_SIZE units, as the kernel computes
     * them), bg_thresh halved to below thresh. Traces global_dirty_state in {@code ctx} unless it is null.
     */
    public DirtyLimits domain_dirty_limits(TraceContext ctx) {
        long bytes = sysctl.get(Sysctl.DIRTY_BYTES);
        long bgBytes = sysctl.get(Sysctl.DIRTY_BACKGROUND_BYTES);
        long ratio = sysctl.get(Sysctl.DIRTY_RATIO) * Sysctl.PAGE_SIZE / 100;
        long bgRatio = sysctl.get(Sysctl.DIRTY_BACKGROUND_RATIO) * Sysctl.PAGE_SIZE / 100;
        long available = dirtyableMemoryPages;
        long thresh = bytes != 0 ? Math.ceilDiv(bytes, Sysctl.PAGE_SIZE) : ratio * available / Sysctl.PAGE_SIZE;
        long bgThresh = bgBytes != 0 ? Math.ceilDiv(bgBytes, Sysctl.PAGE_SIZE) : bgRatio * available / Sysctl.PAGE_SIZE;
        if (bgThresh >= thresh) {
            bgThresh = thresh / 2;
        }
        if (ctx != null) {
            trace.global_dirty_state(ctx, vm, bgThresh, thresh, dirty_limit());
        }
        return new DirtyLimits(bgThresh, thresh);
    }

    /** writeback_set_ratelimit: after dirty_ratio or dirty_bytes changed, dirty_limit jumps to the new threshold. */
    public synchronized void writeback_set_ratelimit() {
        dirtyLimit = domain_dirty_limits(null).thresh();
        lastLimitUpdate = jiffies.now();
    }

    /** update_dirty_limit: up to thresh in one step, down by 1/32 of the gap, never below the dirty pages. */
    synchronized void update_dirty_limit(long thresh, long dirty) {
        long now = jiffies.now();
        if (now - lastLimitUpdate < jiffies.msecs_to_jiffies(BANDWIDTH_INTERVAL_MS)) {
            return;
        }
        lastLimitUpdate = now;
        long limit = dirtyLimit;
        if (limit < thresh) {
            dirtyLimit = thresh;
            return;
        }
        long target = Math.max(thresh, dirty);
        if (limit > target) {
            dirtyLimit = limit - ((limit - target) >> 5);
        }
    }

    /** wb_over_bg_thresh: the reclaimable (dirty) pages above the background threshold. */
    public boolean wb_over_bg_thresh(BdiWriteback wb, TraceContext ctx) {
        DirtyLimits l = domain_dirty_limits(ctx);
        return vm.nr_file_dirty() > l.bgThresh();
    }

    /**
     * balance_dirty_pages_ratelimited: counts the pages {@code task} just dirtied and, once it dirtied its
     * nr_dirtied_pause (8 pages while the wb is over its limit), runs balance_dirty_pages. Returns the pause.
     */
    public Duration balance_dirty_pages_ratelimited(BdiWriteback wb, TraceContext ctx, long pagesDirtied,
                                                    Consumer<BdiWriteback> startBackground) {
        TaskDirty t = taskDirty(ctx.task());
        synchronized (t) {
            t.nrDirtied += pagesDirtied;
            long ratelimit = t.nrDirtiedPause;
            if (wb.dirtyExceeded) {
                ratelimit = Math.min(ratelimit, DIRTY_EXCEEDED_RATELIMIT);
            }
            if (t.nrDirtied < ratelimit) {
                return Duration.ZERO;
            }
            return balance_dirty_pages(wb, ctx, t, startBackground).pause();
        }
    }

    /** balance_dirty_pages for a task that dirtied {@code pagesDirtied} since its last pause; one round. */
    public Throttle balance_dirty_pages(BdiWriteback wb, TraceContext ctx, long pagesDirtied,
                                        Consumer<BdiWriteback> startBackground) {
        TaskDirty t = taskDirty(ctx.task());
        synchronized (t) {
            t.nrDirtied = pagesDirtied;
            return balance_dirty_pages(wb, ctx, t, startBackground);
        }
    }

    /** The task's counters; writers come and go by pid, so past MAX_TASKS they start afresh (as a new task would). */
    private TaskDirty taskDirty(Task task) {
        if (tasks.size() > MAX_TASKS) {
            tasks.clear();
        }
        return tasks.computeIfAbsent(task, k -> new TaskDirty());
    }

    private Throttle balance_dirty_pages(BdiWriteback wb, TraceContext ctx, TaskDirty t,
                                         Consumer<BdiWriteback> startBackground) {
        long now = jiffies.clock().nanosSinceBoot();
        long nrReclaimable = vm.nr_file_dirty();
        long dirty = nrReclaimable + vm.nr_writeback();
        DirtyLimits l = domain_dirty_limits(ctx);
        long freerun = l.freerun();
        long pagesDirtied = t.nrDirtied;

        if (dirty <= freerun) {
            t.dirtyPausedWhen = now;
            t.nrDirtied = 0;
            t.nrDirtiedPause = dirty_poll_interval(dirty, l.thresh());
            wb.dirtyExceeded = false;
            if (nrReclaimable > l.bgThresh() && !wb.writebackRunning) {
                startBackground.accept(wb);
            }
            return new Throttle(Duration.ZERO, dirty, freerun, freerun, dirty_limit(), 0);
        }
        if (!wb.writebackRunning) {
            startBackground.accept(wb);
        }
        update_dirty_limit(l.thresh(), dirty);
        long limit = Math.max(dirty_limit(), l.thresh());
        wb.dirtyExceeded = dirty > l.thresh();
        long setpoint = (freerun + limit) / 2;
        long posRatio = dirty >= limit ? 0 : pos_ratio_polynom(setpoint, dirty, limit);
        long taskRatelimit = wb.dirtyRatelimit * posRatio >> RATELIMIT_CALC_SHIFT;
        long maxPause = MAX_PAUSE.toNanos();
        long period;
        long pause;
        long think = t.dirtyPausedWhen == 0 ? 0 : now - t.dirtyPausedWhen;
        if (taskRatelimit == 0) {
            period = maxPause;
            pause = maxPause;
        } else {
            period = 1_000_000_000L * pagesDirtied / taskRatelimit;
            pause = period - think;
        }
        if (pause <= 0) {
            // it thought long enough: no sleep, but its credit is spent (the kernel's pause < min_pause case)
            if (pause < -1_000_000_000L) {
                t.dirtyPausedWhen = now;
            } else {
                t.dirtyPausedWhen += period;
            }
            t.nrDirtied = 0;
            trace.balance_dirty_pages(ctx, wb, l.thresh(), limit, setpoint, dirty, wb.dirtyRatelimit << 2,
                    taskRatelimit << 2, pagesDirtied, t.nrDirtiedPause, 0, ms(pause), ms(period), ms(think));
            return new Throttle(Duration.ZERO, dirty, freerun, setpoint, limit, taskRatelimit);
        }
        pause = Math.min(pause, maxPause);
        t.nrDirtiedPause = Math.max(1, taskRatelimit / 100); // about 10 ms of dirtying at the task's rate
        trace.balance_dirty_pages(ctx, wb, l.thresh(), limit, setpoint, dirty, wb.dirtyRatelimit << 2,
                taskRatelimit << 2, pagesDirtied, t.nrDirtiedPause, 0, ms(pause), ms(period), ms(think));
        t.dirtyPausedWhen = now + pause;
        t.nrDirtied = 0;
        return new Throttle(Duration.ofNanos(pause), dirty, freerun, setpoint, limit, taskRatelimit);
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000L;
    }

    /** dirty_poll_interval: pages a task may dirty before it looks again, sqrt of the room left. */
    static long dirty_poll_interval(long dirty, long thresh) {
        if (thresh > dirty) {
            return 1L << ((63 - Long.numberOfLeadingZeros(thresh - dirty)) >> 1);
        }
        return 1;
    }

    /** pos_ratio_polynom: 1 + ((setpoint - dirty) / (limit - setpoint))^3 in 1/1024 units, clamped to [0, 2]. */
    static long pos_ratio_polynom(long setpoint, long dirty, long limit) {
        long x = ((setpoint - dirty) << RATELIMIT_CALC_SHIFT) / ((limit - setpoint) | 1);
        long posRatio = x;
        posRatio = posRatio * x >> RATELIMIT_CALC_SHIFT;
        posRatio = posRatio * x >> RATELIMIT_CALC_SHIFT;
        posRatio += 1 << RATELIMIT_CALC_SHIFT;
        return Math.clamp(posRatio, 0, 2L << RATELIMIT_CALC_SHIFT);
    }

    /** A task that exited: forget its counters. */
    public void exit(Task task) {
        tasks.remove(task);
    }
}
