package dev.ext4sim.jbd2.journal;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracepoint;
import dev.ext4sim.bus.trace.Tracer;
import java.util.Objects;

/**
 * The jbd2 tracepoints of include/trace/events/jbd2.h with their TP_printk formats (tracepoints.md §7). The
 * {@code dev} field holds the dev_t; the format prints {@code MAJOR(dev), MINOR(dev)}. The six times of
 * jbd2_run_stats are stored in jiffies and printed through {@code jiffies_to_msecs()}.
 */
public final class Jbd2Trace {
    static final String SYSTEM = "jbd2";

    public static final Tracepoint HANDLE_START = dev(Tracepoint.define(SYSTEM, "jbd2_handle_start",
            "dev %d,%d tid %u type %u line_no %u requested_blocks %d",
            "dev", "tid", "type", "line_no", "requested_blocks"));
    public static final Tracepoint HANDLE_RESTART = dev(Tracepoint.define(SYSTEM, "jbd2_handle_restart",
            "dev %d,%d tid %u type %u line_no %u requested_blocks %d",
            "dev", "tid", "type", "line_no", "requested_blocks"));
    public static final Tracepoint HANDLE_EXTEND = dev(Tracepoint.define(SYSTEM, "jbd2_handle_extend",
            "dev %d,%d tid %u type %u line_no %u buffer_credits %d requested_blocks %d",
            "dev", "tid", "type", "line_no", "buffer_credits", "requested_blocks"));
    public static final Tracepoint HANDLE_STATS = dev(Tracepoint.define(SYSTEM, "jbd2_handle_stats",
            "dev %d,%d tid %u type %u line_no %u interval %d sync %d requested_blocks %d dirtied_blocks %d",
            "dev", "tid", "type", "line_no", "interval", "sync", "requested_blocks", "dirtied_blocks"));
    // class jbd2_commit: fields dev, sync_commit, transaction; printed as (transaction, sync_commit). 4.x: %d.
    public static final Tracepoint START_COMMIT = commit("jbd2_start_commit");
    public static final Tracepoint COMMIT_LOCKING = commit("jbd2_commit_locking");
    public static final Tracepoint COMMIT_FLUSHING = commit("jbd2_commit_flushing");
    public static final Tracepoint COMMIT_LOGGING = commit("jbd2_commit_logging");
    public static final Tracepoint DROP_TRANSACTION = commit("jbd2_drop_transaction");
    public static final Tracepoint END_COMMIT = Tracepoint.define(SYSTEM, "jbd2_end_commit",
            "dev %d,%d transaction %d sync %d head %d", "dev", "sync_commit", "transaction", "head")
            .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[2], v[1], v[3]});
    public static final Tracepoint CHECKPOINT_STATS = dev(Tracepoint.define(SYSTEM, "jbd2_checkpoint_stats",
            "dev %d,%d tid %u chp_time %u forced_to_close %u written %u dropped %u",
            "dev", "tid", "chp_time", "forced_to_close", "written", "dropped"));
    public static final Tracepoint CHECKPOINT = dev(Tracepoint.define(SYSTEM, "jbd2_checkpoint",
            "dev %d,%d result %d", "dev", "result"));

    public static final Tracepoint SUBMIT_INODE_DATA = dev(Tracepoint.define(SYSTEM, "jbd2_submit_inode_data",
            "dev %d,%d ino %lu", "dev", "ino"));
    public static final Tracepoint WRITE_SUPERBLOCK = dev(Tracepoint.define(SYSTEM, "jbd2_write_superblock",
            "dev %d,%d write_flags %x", "dev", "write_flags"));
    /** 4.x req_flag_bits (include/linux/blk_types.h): __REQ_SYNC is bit 11, __REQ_FUA bit 17. */
    public static final int REQ_SYNC = 1 << 11;
    public static final int REQ_FUA = 1 << 17;
    /** The same bits in 6.x: __REQ_META is bit 12, __REQ_IDLE bit 15. */
    static final int REQ_META = 1 << 12;
    static final int REQ_IDLE = 1 << 15;
    /** JBD2_JOURNAL_REQ_FLAGS (5.x+), which 6.x's jbd2_write_superblock adds to every superblock write. */
    static final int JBD2_JOURNAL_REQ_FLAGS = REQ_META | REQ_SYNC | REQ_IDLE;

    private final Tracer tracer;
    private final JournalConfig config;
    private final Tracepoint runStats;

    public Jbd2Trace(Tracer tracer, JournalConfig config) {
        this.tracer = Objects.requireNonNull(tracer);
        this.config = Objects.requireNonNull(config);
        this.runStats = Tracepoint.define(SYSTEM, "jbd2_run_stats",
                "dev %d,%d tid %u wait %u request_delay %u running %u locked %u flushing %u logging %u handle_count %u blocks %u blocks_logged %u",
                "dev", "tid", "wait", "request_delay", "running", "locked", "flushing", "logging", "handle_count", "blocks", "blocks_logged")
                .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[1], ms(v[2]), ms(v[3]), ms(v[4]), ms(v[5]), ms(v[6]), ms(v[7]), v[8], v[9], v[10]});
    }

    Tracer tracer() {
        return tracer;
    }

    private long ms(Object jiffies) {
        return config.jiffiesToMsecs(((Number) jiffies).longValue());
    }

    static int major(Object devT) {
        return ((Number) devT).intValue() >>> 20;
    }

    static int minor(Object devT) {
        return ((Number) devT).intValue() & 0xFFFFF;
    }

    private static Tracepoint dev(Tracepoint tp) {
        return tp.printk(v -> {
            Object[] a = new Object[v.length + 1];
            a[0] = major(v[0]);
            a[1] = minor(v[0]);
            System.arraycopy(v, 1, a, 2, v.length - 1);
            return a;
        });
    }

    private static Tracepoint commit(String name) {
        return Tracepoint.define(SYSTEM, name, "dev %d,%d transaction %d sync %d", "dev", "sync_commit", "transaction")
                .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[2], v[1]});
    }

    /**
     * When a handle ran elsewhere (ext4 ran it locally and sent it in a batch), its start and stop on the shared trace
     * clock: handle_start, handle_extend and handle_stats are stamped then, so the owner's timeline reads in kernel
     * order. Bound around the handle by the server; 0 means unknown.
     */
    public record HandleTimes(long startedNanos, long stoppedNanos) {
    }

    public static final ScopedValue<HandleTimes> HANDLE_TIMES = ScopedValue.newInstance();

    private void emitHandle(boolean atStop, Tracepoint tp, TraceContext ctx, Object... values) {
        HandleTimes t = HANDLE_TIMES.isBound() ? HANDLE_TIMES.get() : null;
        long at = t == null ? 0 : atStop ? t.stoppedNanos() : t.startedNanos();
        if (at > 0) {
            tracer.emitAt(at, tp, ctx, values);
        } else {
            tracer.emit(tp, ctx, values);
        }
    }

    void handleStart(TraceContext ctx, Handle h) {
        emitHandle(false, HANDLE_START, ctx, config.devT(), h.tid(), h.type(), h.lineNo(), h.requestedBlocks());
    }

    void handleRestart(TraceContext ctx, Handle h) {
        tracer.emit(HANDLE_RESTART, ctx, config.devT(), h.tid(), h.type(), h.lineNo(), h.requestedBlocks());
    }

    void handleExtend(TraceContext ctx, Handle h, int bufferCredits, int requested) {
        emitHandle(false, HANDLE_EXTEND, ctx, config.devT(), h.tid(), h.type(), h.lineNo(), bufferCredits, requested);
    }

    void handleStats(TraceContext ctx, Handle h, long interval) {
        emitHandle(true, HANDLE_STATS, ctx, config.devT(), h.tid(), h.type(), h.lineNo(), interval, h.isSync() ? 1 : 0,
                h.requestedBlocks(), h.dirtiedBlocks());
    }

    void commitPhase(Tracepoint tp, TraceContext ctx, Transaction t) {
        tracer.emit(tp, ctx, config.devT(), t.synchronousCommit() ? 1 : 0, t.tid());
    }

    void endCommit(TraceContext ctx, Transaction t, int tailSequence) {
        tracer.emit(END_COMMIT, ctx, config.devT(), t.synchronousCommit() ? 1 : 0, t.tid(), tailSequence);
    }

    void runStats(TraceContext ctx, RunStats s) {
        tracer.emit(runStats, ctx, config.devT(), s.tid(), s.waitTime(), s.requestDelay(), s.running(), s.locked(),
                s.flushing(), s.logging(), s.handleCount(), s.blocks(), s.blocksLogged());
    }

    void checkpointStats(TraceContext ctx, int tid, long chpTimeMs, int forced, int written, int dropped) {
        tracer.emit(CHECKPOINT_STATS, ctx, config.devT(), tid, chpTimeMs, forced, written, dropped);
    }

    /** __jbd2_journal_drop_transaction: {@code sync} is the dropped transaction's t_synchronous_commit. */
    void dropTransaction(TraceContext ctx, int tid, boolean sync) {
        tracer.emit(DROP_TRANSACTION, ctx, config.devT(), sync ? 1 : 0, tid);
    }

    void submitInodeData(TraceContext ctx, long ino) {
        tracer.emit(SUBMIT_INODE_DATA, ctx, config.devT(), ino);
    }

    /**
     * jbd2_write_superblock: journal_reset after a recovery writes the log tail with REQ_SYNC|REQ_FUA before new
     * transactions reuse the log (a clean journal defers that write to the first commit). 6.x adds
     * JBD2_JOURNAL_REQ_FLAGS before tracing ({@code write_flags 9800} for the first commit's write).
     */
    public void writeSuperblock(TraceContext ctx, int writeFlags) {
        int flags = tracer.profile().v6() ? writeFlags | JBD2_JOURNAL_REQ_FLAGS : writeFlags;
        tracer.emit(WRITE_SUPERBLOCK, ctx, config.devT(), flags);
    }

    void checkpoint(TraceContext ctx, int result) {
        tracer.emit(CHECKPOINT, ctx, config.devT(), result);
    }
}
