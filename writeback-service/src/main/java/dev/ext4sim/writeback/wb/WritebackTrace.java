package dev.ext4sim.writeback.wb;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracepoint;
import dev.ext4sim.bus.trace.Tracer;
import java.util.Objects;

/**
 * The writeback tracepoints of include/trace/events/writeback.h. The per-wb formats end with the wb's cgroup: 4.3 to
 * 5.1 print {@code cgroup=%s}, the cgroup path ("/" without cgroup writeback, the 4.x profile, tracepoints.md §6);
 * 5.2+ print {@code cgroup_ino=%lu}, the cgroup's inode number (1 for the root, the 6.x profile). {@code name} is
 * the bdi ("8:0"); {@code sb_dev} a dev_t printed as MAJOR:MINOR; {@code age} is computed from jiffies when the
 * event is recorded.
 */
public final class WritebackTrace {
    static final String SYSTEM = "writeback";
    /** The root cgroup: every wb here is the bdi's root wb. */
    public static final String ROOT_CGROUP = "/";
    /** The root cgroup's inode number, what 5.2+ print ({@code __trace_wb_assign_cgroup}: cgroup_ino(wb->memcg_css->cgroup)). */
    public static final long ROOT_CGROUP_INO = 1;

    private final Tracer tracer;
    private final Jiffies jiffies;
    private final Tracepoint queue;
    private final Tracepoint exec;
    private final Tracepoint start;
    private final Tracepoint written;
    private final Tracepoint wait;
    private final Tracepoint pagesWritten;
    private final Tracepoint wakeBackground;
    private final Tracepoint queueIo;
    private final Tracepoint singleInodeStart;
    private final Tracepoint singleInode;
    private final Tracepoint writeInodeStart;
    private final Tracepoint writeInode;
    private final Tracepoint sbInodesRequeue;
    private final Tracepoint globalDirtyState;
    private final Tracepoint balanceDirtyPages;
    private final Tracepoint dirtyInodeEnqueue;
    private final boolean v6;
    /** The per-wb formats' last field: "/" (4.x) or 1 (6.x). */
    private final Object cgroup;
    /** The per-wb formats' last conversion. */
    private final String cg;

    public WritebackTrace(Tracer tracer, Jiffies jiffies) {
        this.tracer = Objects.requireNonNull(tracer);
        this.jiffies = Objects.requireNonNull(jiffies);
        this.v6 = tracer.profile().v6();
        this.cgroup = v6 ? (Object) ROOT_CGROUP_INO : ROOT_CGROUP;
        this.cg = v6 ? "cgroup_ino=%lu" : "cgroup=%s";
        queue = work("writeback_queue");
        exec = work("writeback_exec");
        start = work("writeback_start");
        written = work("writeback_written");
        wait = work("writeback_wait");
        pagesWritten = Tracepoint.define(SYSTEM, "writeback_pages_written", "%ld", "pages");
        wakeBackground = Tracepoint.define(SYSTEM, "writeback_wake_background", "bdi %s: " + cg, "name", "cgroup");
        queueIo = Tracepoint.define(SYSTEM, "writeback_queue_io",
                "bdi %s: older=%lu age=%ld enqueue=%d reason=%s " + cg,
                "name", "older", "age", "moved", "reason", "cgroup");
        singleInodeStart = singleInode("writeback_single_inode_start");
        singleInode = singleInode("writeback_single_inode");
        writeInodeStart = Tracepoint.define(SYSTEM, "writeback_write_inode_start", "bdi %s: ino=%lu sync_mode=%d " + cg,
                "name", "ino", "sync_mode", "cgroup");
        writeInode = Tracepoint.define(SYSTEM, "writeback_write_inode", "bdi %s: ino=%lu sync_mode=%d " + cg,
                "name", "ino", "sync_mode", "cgroup");
        sbInodesRequeue = Tracepoint.define(SYSTEM, "writeback_sb_inodes_requeue",
                "bdi %s: ino=%lu state=%s dirtied_when=%lu age=%lu " + cg,
                "name", "ino", "state", "dirtied_when", "cgroup")
                .printk(v -> new Object[]{v[0], v[1], InodeState.show_inode_state(((Number) v[2]).longValue()), v[3],
                        age(v[3]), v[4]});
        globalDirtyState = Tracepoint.define(SYSTEM, "global_dirty_state",
                "dirty=%lu writeback=%lu unstable=%lu bg_thresh=%lu thresh=%lu limit=%lu dirtied=%lu written=%lu",
                "nr_dirty", "nr_writeback", "nr_unstable", "background_thresh", "dirty_thresh", "dirty_limit",
                "nr_dirtied", "nr_written");
        balanceDirtyPages = Tracepoint.define(SYSTEM, "balance_dirty_pages",
                "bdi %s: limit=%lu setpoint=%lu dirty=%lu "
                        + (v6 ? "wb_setpoint=%lu wb_dirty=%lu" : "bdi_setpoint=%lu bdi_dirty=%lu")
                        + " dirty_ratelimit=%lu task_ratelimit=%lu dirtied=%u dirtied_pause=%u paused=%lu pause=%ld"
                        + " period=%lu think=%ld " + cg,
                "bdi", "limit", "setpoint", "dirty", "bdi_setpoint", "bdi_dirty", "dirty_ratelimit", "task_ratelimit",
                "dirtied", "dirtied_pause", "paused", "pause", "period", "think", "cgroup");
        // class writeback_inode_template: fields dev, ino, state, mode, dirtied_when
        dirtyInodeEnqueue = Tracepoint.define(SYSTEM, "writeback_dirty_inode_enqueue",
                        "dev %d,%d ino %lu dirtied %lu state %s mode 0%o", "dev", "ino", "state", "mode", "dirtied_when")
                .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[1], v[4],
                        InodeState.show_inode_state(((Number) v[2]).longValue()), v[3]});
    }

    /** Whether the 6.x profile's call graph and formats apply. */
    boolean v6() {
        return v6;
    }

    private static int major(Object devT) {
        return ((Number) devT).intValue() >>> 20;
    }

    private static int minor(Object devT) {
        return ((Number) devT).intValue() & 0xFFFFF;
    }

    private long age(Object dirtiedWhen) {
        return (jiffies.now() - ((Number) dirtiedWhen).longValue()) / jiffies.hz();
    }

    // class writeback_work_class: fields name, nr_pages, sb_dev, sync_mode, for_kupdate, range_cyclic,
    // for_background, reason, cgroup; printed with sb_dev first
    private Tracepoint work(String event) {
        return Tracepoint.define(SYSTEM, event, "bdi %s: sb_dev %d:%d nr_pages=%ld sync_mode=%d kupdate=%d "
                                + "range_cyclic=%d background=%d reason=%s " + cg,
                        "name", "nr_pages", "sb_dev", "sync_mode", "for_kupdate", "range_cyclic", "for_background",
                        "reason", "cgroup")
                .printk(v -> new Object[]{v[0], major(v[2]), minor(v[2]), v[1], v[3], v[4], v[5], v[6], v[7], v[8]});
    }

    // class writeback_single_inode_template
    private Tracepoint singleInode(String event) {
        return Tracepoint.define(SYSTEM, event, "bdi %s: ino=%lu state=%s dirtied_when=%lu age=%lu index=%lu "
                                + "to_write=%ld wrote=%lu " + cg,
                        "name", "ino", "state", "dirtied_when", "writeback_index", "nr_to_write", "wrote", "cgroup")
                .printk(v -> new Object[]{v[0], v[1], InodeState.show_inode_state(((Number) v[2]).longValue()), v[3],
                        age(v[3]), v[4], v[5], v[6], v[7]});
    }

    private void work(Tracepoint tp, TraceContext ctx, BdiWriteback wb, WbWritebackWork w) {
        tracer.emit(tp, ctx, wb.name(), w.nrPages, w.sb, w.syncMode, w.forKupdate ? 1 : 0, w.rangeCyclic ? 1 : 0,
                w.forBackground ? 1 : 0, w.reason.symbol(), cgroup);
    }

    void writeback_queue(TraceContext ctx, BdiWriteback wb, WbWritebackWork w) {
        work(queue, ctx, wb, w);
    }

    void writeback_exec(TraceContext ctx, BdiWriteback wb, WbWritebackWork w) {
        work(exec, ctx, wb, w);
    }

    void writeback_start(TraceContext ctx, BdiWriteback wb, WbWritebackWork w) {
        work(start, ctx, wb, w);
    }

    void writeback_written(TraceContext ctx, BdiWriteback wb, WbWritebackWork w) {
        work(written, ctx, wb, w);
    }

    void writeback_wait(TraceContext ctx, BdiWriteback wb, WbWritebackWork w) {
        work(wait, ctx, wb, w);
    }

    void writeback_pages_written(TraceContext ctx, long pages) {
        tracer.emit(pagesWritten, ctx, pages);
    }

    void writeback_wake_background(TraceContext ctx, BdiWriteback wb) {
        tracer.emit(wakeBackground, ctx, wb.name(), cgroup);
    }

    /** age: (jiffies - older_than_this) in ms; -1 without older_than_this. */
    void writeback_queue_io(TraceContext ctx, BdiWriteback wb, WbWritebackWork w, int moved) {
        Long older = w.olderThanThis;
        long age = older == null ? -1 : jiffies.jiffies_to_msecs(jiffies.now() - older);
        tracer.emit(queueIo, ctx, wb.name(), older == null ? 0L : older, age, moved, w.reason.symbol(), cgroup);
    }

    void writeback_single_inode_start(TraceContext ctx, BdiWriteback wb, WbInode inode, long nrToWrite, long wrote) {
        tracer.emit(singleInodeStart, ctx, wb.name(), inode.ino, inode.state, inode.dirtiedWhen, inode.writebackIndex,
                nrToWrite, wrote, cgroup);
    }

    void writeback_single_inode(TraceContext ctx, BdiWriteback wb, WbInode inode, long nrToWrite, long wrote) {
        tracer.emit(singleInode, ctx, wb.name(), inode.ino, inode.state, inode.dirtiedWhen, inode.writebackIndex,
                nrToWrite, wrote, cgroup);
    }

    void writeback_write_inode_start(TraceContext ctx, BdiWriteback wb, WbInode inode, int syncMode) {
        tracer.emit(writeInodeStart, ctx, wb.name(), inode.ino, syncMode, cgroup);
    }

    void writeback_write_inode(TraceContext ctx, BdiWriteback wb, WbInode inode, int syncMode) {
        tracer.emit(writeInode, ctx, wb.name(), inode.ino, syncMode, cgroup);
    }

    void writeback_sb_inodes_requeue(TraceContext ctx, BdiWriteback wb, WbInode inode) {
        tracer.emit(sbInodesRequeue, ctx, wb.name(), inode.ino, inode.state, inode.dirtiedWhen, cgroup);
    }

    /** __mark_inode_dirty put a clean inode on the wb's dirty list: in the writer's task. */
    void writeback_dirty_inode_enqueue(TraceContext ctx, long observedNanos, int dev, long ino, int state, int mode,
                                       long dirtiedWhen) {
        if (observedNanos > 0) {
            tracer.emitAt(observedNanos, dirtyInodeEnqueue, ctx, dev, ino, state, mode, dirtiedWhen);
        } else {
            tracer.emit(dirtyInodeEnqueue, ctx, dev, ino, state, mode, dirtiedWhen);
        }
    }

    void global_dirty_state(TraceContext ctx, VmStat vm, long bgThresh, long thresh, long limit) {
        tracer.emit(globalDirtyState, ctx, vm.nr_file_dirty(), vm.nr_writeback(), 0L, bgThresh, thresh, limit,
                vm.nr_dirtied(), vm.nr_written());
    }

    void balance_dirty_pages(TraceContext ctx, BdiWriteback wb, long thresh, long limit, long setpoint, long dirty,
                             long dirtyRatelimitKBps, long taskRatelimitKBps, long dirtied, long dirtiedPause,
                             long pausedMs, long pauseMs, long periodMs, long thinkMs) {
        // one wb owns the whole domain: its threshold is the global one (bdi_thresh = thresh), its dirty the global dirty
        long bdiSetpoint = setpoint * thresh / (thresh + 1);
        tracer.emit(balanceDirtyPages, ctx, wb.name(), limit, setpoint, dirty, bdiSetpoint, dirty, dirtyRatelimitKBps,
                taskRatelimitKBps, dirtied, dirtiedPause, pausedMs, pauseMs, periodMs, thinkMs, cgroup);
    }
}
