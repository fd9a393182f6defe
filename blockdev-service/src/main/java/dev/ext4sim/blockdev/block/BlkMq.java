package dev.ext4sim.blockdev.block;

import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_BIO_BACKMERGE;
import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_BIO_FRONTMERGE;
import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_BIO_QUEUE;
import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_BIO_REMAP;
import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_GETRQ;
import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_PLUG;
import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_UNPLUG;

import dev.ext4sim.blockdev.Trace;
import dev.ext4sim.blockdev.ufs.Ufshcd;
import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.trace.TraceContext;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * block/blk-core.c, blk-mq.c and blk-flush.c for one disk: submit_bio (remap, checks), the task's plug with back
 * merging of adjacent bios, the tag set (32 slots, one reserved: 31 commands in flight), dispatch to the driver, the
 * flush machinery (a PREFLUSH becomes its own flush request "FF" before the data; FUA goes to the device, which
 * supports it), and completion.
 *
 * <p>Ordering: bios of one submission are issued in order; a bio with PREFLUSH or FUA waits for the bios before it
 * in the same submission to complete, so a commit block submitted after its journal blocks in one call is ordered
 * after them.
 *
 * <p>The 6.x profile traces as 6.18 does: every submission is plugged (__submit_bio plugs a lone bio), the plug merges
 * a bio at either end of its last request and issues its requests directly when flushed (no block_rq_insert), each
 * new request traces block_io_start and each finished one block_io_done, the flush machinery's requests are
 * dispatched by kblockd's worker, and completions run in ksoftirqd.
 */
public final class BlkMq {
    /** max_sectors_kb: 1 MiB, the most a UFS command transfers. */
    public static final int MAX_BYTES = 1 << 20;
    public static final int TAGS = 32;
    public static final int RESERVED_TAGS = 1;

    /** Called with each completed request's operation and its time from issue to completion. */
    @FunctionalInterface
    public interface LatencyObserver {
        LatencyObserver NONE = (op, nanos) -> {
        };

        void observe(ReqOp op, long nanos);
    }

    private final Gendisk disk;
    private final Ufshcd hba;
    private final Trace trace;
    private final Time time;
    private final Executor completions;
    private final Executor background;
    private final DiskStats stats = new DiskStats();
    private final int logicalBlock;
    private final Semaphore tags = new Semaphore(TAGS - RESERVED_TAGS);
    private final Ufshcd.ScsiDone scsiDone = this::scsiDone;
    /** The tags in use, one bit each (the sbitmap of the tag set); guarded by {@link #tagLock}. */
    private int usedTags;
    private final Object tagLock = new Object();
    /** When a command on a freed tag reaches the device; guarded by {@link #tagLock}. */
    private final TagCredit credit = new TagCredit(TAGS);
    private volatile LatencyObserver observer = LatencyObserver.NONE;
    private final boolean v6;
    private final RqTrace rqTrace;
    private final PerCpuThreads cpus;
    /** The plugs tasks hold across submissions (6.x's flusher round), by task. */
    private final Map<dev.ext4sim.bus.trace.Task, HeldPlug> heldPlugs = new ConcurrentHashMap<>();

    /**
     * @param completions runs quick completions (the interrupt handler; inline in the service)
     * @param background  runs completions that touch the image file (reads, FUA, flushes), off the interrupt
     */
    public BlkMq(Gendisk disk, Ufshcd hba, Trace trace, Time time, Executor completions, Executor background,
                 int logicalBlock) {
        this.background = Objects.requireNonNull(background);
        this.disk = Objects.requireNonNull(disk);
        this.hba = Objects.requireNonNull(hba);
        this.trace = Objects.requireNonNull(trace);
        this.time = Objects.requireNonNull(time);
        this.completions = Objects.requireNonNull(completions);
        this.logicalBlock = logicalBlock;
        this.v6 = trace.profile().v6();
        this.rqTrace = new RqTrace(trace, disk.dev().devT());
        this.cpus = new PerCpuThreads(trace);
    }

    public Gendisk disk() {
        return disk;
    }

    public DiskStats stats() {
        return stats;
    }

    /** io_ticks as of now on the queue's clock, the one its requests are timed with. */
    public long ioTimeNanos() {
        return stats.ioTimeNanos(time.nanoTime());
    }

    /** time_in_queue as of now on the queue's clock. */
    public long weightedTimeNanos() {
        return stats.weightedTimeNanos(time.nanoTime());
    }

    public void setLatencyObserver(LatencyObserver observer) {
        this.observer = observer == null ? LatencyObserver.NONE : observer;
    }

    /** What a submission returns: per bio, its latency in nanoseconds. Read data is in the read bios' buffers. */
    public record Completed(long[] latencyNanos) {
    }

    /** submit_bio for each bio under one plug, waiting for all of them; an ErrnoException when any failed. */
    public Completed submit(String dev, List<Bio> bios, TraceContext ctx) {
        return submit(dev, bios, ctx, false);
    }

    /**
     * The same, {@code plugged} when the submitter's task holds a plug that outlives the call (6.x wb_writeback's):
     * plain bios then join that plug's trace until {@link #finishPlug}.
     */
    public Completed submit(String dev, List<Bio> bios, TraceContext ctx, boolean plugged) {
        try {
            return submitAsync(dev, bios, ctx, plugged).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof ErrnoException errno) {
                throw errno;
            }
            throw e;
        }
    }

    /**
     * Checks every bio first (nothing is submitted if one is bad: EINVAL, or EIO beyond the end of the device), then
     * submits them. The future fails with the ErrnoException of the first failed request.
     */
    public CompletableFuture<Completed> submitAsync(String dev, List<Bio> bios, TraceContext ctx) {
        return submitAsync(dev, bios, ctx, false);
    }

    /** {@link #submit(String, List, TraceContext, boolean)} without waiting. */
    public CompletableFuture<Completed> submitAsync(String dev, List<Bio> bios, TraceContext ctx, boolean plugged) {
        Gendisk.HdStruct part = disk.lookup(dev);
        if (bios.isEmpty()) {
            throw new ErrnoException(Errno.EINVAL, "no bios to submit; send at least one");
        }
        for (int i = 0; i < bios.size(); i++) {
            check(part, i, bios.get(i));
        }
        // a flush or FUA is sequenced by the flush machinery, which issues its requests at once, plug or not
        HeldPlug held = plugged && v6 && bios.stream().noneMatch(Bio::isFlushOrFua)
                ? heldPlugs.computeIfAbsent(ctx.task(), t -> new HeldPlug()) : null;
        if (bios.size() == 1 && !bios.getFirst().isFlushOrFua()) {
            return submitOne(part, bios.getFirst(), ctx, held);
        }
        long[] start = new long[bios.size()];
        long[] done = new long[bios.size()];
        List<List<Integer>> segments = new ArrayList<>();
        List<Integer> plain = new ArrayList<>();
        for (int i = 0; i < bios.size(); i++) {
            if (bios.get(i).isFlushOrFua()) {
                if (!plain.isEmpty()) {
                    segments.add(plain);
                    plain = new ArrayList<>();
                }
                segments.add(List.of(i));
            } else {
                plain.add(i);
            }
        }
        if (!plain.isEmpty()) {
            segments.add(plain);
        }
        List<Bio> remapped = new ArrayList<>(bios.size());
        for (Bio b : bios) {
            remapped.add(b.remapped(b.sector() + part.startSect()));
        }
        CompletableFuture<Void> chain = null;
        for (List<Integer> seg : segments) {
            Supplier<CompletableFuture<Void>> issueSeg = () -> {
                for (int i : seg) {
                    start[i] = time.nanoTime();
                }
                return bios.get(seg.getFirst()).isFlushOrFua()
                        ? flushSequence(part, bios.get(seg.getFirst()), remapped.get(seg.getFirst()), seg.getFirst(), ctx, done)
                        : plugged(part, seg.stream().map(bios::get).toList(), seg.stream().map(remapped::get).toList(),
                                seg, ctx, done, held);
            };
            // a later segment is issued off the completion that ends the one before: an interrupt handler must not
            // wait for a tag (the completions that would free one need it)
            chain = chain == null ? issueSeg.get() : chain.thenComposeAsync(v -> issueSeg.get(), background);
        }
        return chain.thenApply(v -> {
            long[] latency = new long[bios.size()];
            for (int i = 0; i < latency.length; i++) {
                latency[i] = done[i] - start[i];
            }
            return new Completed(latency);
        });
    }

    /** The common case, one plain bio: no sequencing, direct issue (4.x: no plug; 6.x: __submit_bio's own plug). */
    private CompletableFuture<Completed> submitOne(Gendisk.HdStruct part, Bio bio, TraceContext ctx, HeldPlug held) {
        long start = time.nanoTime();
        Bio b = bio.remapped(bio.sector() + part.startSect());
        queueBio(part, bio, b, ctx);
        if (trace.enabled()) {
            trace.emit(BLOCK_GETRQ, ctx, disk.dev().devT(), b.sector(), b.nrSectors(), b.rwbs(), ctx.task().comm());
        }
        Request rq = newRequest(b, 0, ctx);
        if (v6) {
            rqTrace.ioStart(ctx, rq, b.rwbs());
            if (held != null) {
                hold(held, rq, ctx);
            } else {
                plugOne(ctx);
            }
        }
        long[] done = new long[1];
        return issue(rq, ctx, done).thenApply(v -> new Completed(new long[]{done[0] - start}));
    }

    /** blk_mq_bio_to_request: a new request of one bio, with its submitter's I/O priority. */
    private static Request newRequest(Bio b, int slot, TraceContext ctx) {
        Request rq = Request.of(b, slot);
        rq.ioprio = IoPrio.of(ctx.task());
        return rq;
    }

    /**
     * blk_add_rq_to_plug into a plug that outlives the submission: a full plug is flushed first, and the plug's first
     * request traces block_plug.
     */
    private void hold(HeldPlug held, Request rq, TraceContext ctx) {
        if (held.full()) {
            release(held, ctx);
        }
        if (held.isEmpty() && trace.enabled()) {
            trace.emit(BLOCK_PLUG, ctx, ctx.task().comm());
        }
        rq.held = held.add(rq);
    }

    /**
     * blk_finish_plug of the plug {@code ctx}'s task held across its submissions: block_unplug, and each request's
     * issue with what followed it. Returns the number of requests it held (0: no plug, nothing traced).
     */
    public int finishPlug(TraceContext ctx) {
        HeldPlug held = heldPlugs.remove(ctx.task());
        return held == null ? 0 : release(held, ctx);
    }

    private int release(HeldPlug held, TraceContext ctx) {
        return held.release(n -> {
            if (trace.enabled()) {
                trace.emit(BLOCK_UNPLUG, ctx, n, ctx.task().comm());
            }
        }, rq -> rqTrace.issue(ctx, rq));
    }

    /** 6.x: a plug that held one request, then blk_finish_plug → blk_mq_dispatch_queue_requests, issuing it. */
    private void plugOne(TraceContext ctx) {
        if (trace.enabled()) {
            trace.emit(BLOCK_PLUG, ctx, ctx.task().comm());
            trace.emit(BLOCK_UNPLUG, ctx, 1, ctx.task().comm());
        }
    }

    /**
     * generic_make_request_checks: blk_partition_remap (block_bio_remap), then block_bio_queue. An empty flush has no
     * sectors to move, so blk_partition_remap leaves it alone and traces no remap.
     */
    private void queueBio(Gendisk.HdStruct part, Bio original, Bio b, TraceContext ctx) {
        long dev = disk.dev().devT();
        if (part.partno() != 0 && b.nrSectors() > 0) {
            if (trace.enabled()) {
                trace.emit(BLOCK_BIO_REMAP, ctx, dev, b.sector(), b.nrSectors(), part.dev().devT(), original.sector(), b.rwbs());
            }
        }
        if (trace.enabled()) {
            trace.emit(BLOCK_BIO_QUEUE, ctx, dev, b.sector(), b.nrSectors(), b.rwbs(), ctx.task().comm());
        }
    }

    private void check(Gendisk.HdStruct part, int i, Bio b) {
        if (b.op() == ReqOp.FLUSH) {
            throw new ErrnoException(Errno.EINVAL, which(i, b) + ": submit a cache flush as an empty WRITE with PREFLUSH");
        }
        if (b.bytes() == 0) {
            if (!(b.op() == ReqOp.WRITE && b.flags().contains(ReqFlag.PREFLUSH))) {
                throw new ErrnoException(Errno.EINVAL, which(i, b) + ": only an empty WRITE with PREFLUSH (a cache flush) may have no data");
            }
            return;
        }
        if (b.bytes() < 0 || b.bytes() % logicalBlock != 0 || b.sector() < 0 || b.sector() % (logicalBlock / 512) != 0) {
            throw new ErrnoException(Errno.EINVAL, which(i, b) + ": the disk's logical block is " + logicalBlock
                    + " bytes; sector must be a multiple of " + logicalBlock / 512 + " and the length a positive multiple of "
                    + logicalBlock);
        }
        if (b.bytes() > MAX_BYTES) {
            throw new ErrnoException(Errno.EINVAL, which(i, b) + ": at most " + MAX_BYTES + " bytes per bio; split it");
        }
        if (b.sector() + b.nrSectors() > part.nrSects()) {
            throw new ErrnoException(Errno.EIO, which(i, b) + ": attempt to access beyond end of device " + part.name()
                    + ", which has " + part.nrSects() + " sectors");
        }
        if (b.data() == null || b.data().length != b.bytes()) {
            throw new ErrnoException(Errno.EINVAL, which(i, b) + ": carries " + (b.data() == null ? 0 : b.data().length)
                    + " bytes of data for a length of " + b.bytes());
        }
    }

    /** Names a bad bio in an error; built only when there is one, never on the I/O path. */
    private static String which(int i, Bio b) {
        return "bio " + i + " (" + b.op() + " sector " + b.sector() + " + " + b.bytes() + " bytes)";
    }

    /**
     * blk_mq_make_request under a plug: merge into the last request or get a new one; blk_finish_plug issues them.
     * 6.x also merges a bio in front of the last request, and flushes a full plug before a new request joins it.
     */
    private CompletableFuture<Void> plugged(Gendisk.HdStruct part, List<Bio> originals, List<Bio> bios,
                                            List<Integer> slots, TraceContext ctx, long[] done, HeldPlug held) {
        String comm = ctx.task().comm();
        long dev = disk.dev().devT();
        if (bios.size() == 1 && !v6) {
            Bio b = bios.getFirst();
            queueBio(part, originals.getFirst(), b, ctx);
            if (trace.enabled()) {
                trace.emit(BLOCK_GETRQ, ctx, dev, b.sector(), b.nrSectors(), b.rwbs(), comm);
            }
            return issue(newRequest(b, slots.getFirst(), ctx), ctx, done);
        }
        Plug plug = new Plug();
        List<CompletableFuture<Void>> issued = new ArrayList<>();
        for (int k = 0; k < bios.size(); k++) {
            Bio b = bios.get(k);
            queueBio(part, originals.get(k), b, ctx);
            Request last = plug.last();
            if (last != null && last.canBackMerge(b, MAX_BYTES)) {
                if (trace.enabled()) {
                    trace.emit(BLOCK_BIO_BACKMERGE, ctx, dev, b.sector(), b.nrSectors(), b.rwbs(), comm);
                }
                last.backMerge(b, slots.get(k));
                (b.op() == ReqOp.READ ? stats.readsMerged : stats.writesMerged).increment();
                continue;
            }
            if (v6 && last != null && last.canFrontMerge(b, MAX_BYTES)) {
                if (trace.enabled()) {
                    trace.emit(BLOCK_BIO_FRONTMERGE, ctx, dev, b.sector(), b.nrSectors(), b.rwbs(), comm);
                }
                last.frontMerge(b, slots.get(k));
                (b.op() == ReqOp.READ ? stats.readsMerged : stats.writesMerged).increment();
                continue;
            }
            if (trace.enabled()) {
                trace.emit(BLOCK_GETRQ, ctx, dev, b.sector(), b.nrSectors(), b.rwbs(), comm);
            }
            Request rq = newRequest(b, slots.get(k), ctx);
            if (held != null) {
                rqTrace.ioStart(ctx, rq, b.rwbs());
                hold(held, rq, ctx);
                plug.list.add(rq); // this submission's requests, for merging; the held plug has their trace
                continue;
            }
            if (v6) {
                rqTrace.ioStart(ctx, rq, b.rwbs());
                if (plug.full()) {
                    issued.addAll(flushPlug(plug, ctx, done));
                }
            }
            if (plug.list.isEmpty()) {
                if (trace.enabled()) {
                    trace.emit(BLOCK_PLUG, ctx, comm);
                }
            }
            plug.list.add(rq);
        }
        if (held != null) {
            for (Request rq : plug.list) {
                issued.add(issue(rq, ctx, done));
            }
        } else {
            issued.addAll(flushPlug(plug, ctx, done));
        }
        return CompletableFuture.allOf(issued.toArray(CompletableFuture[]::new));
    }

    /**
     * blk_mq_flush_plug_list, explicit (blk_finish_plug): 4.x inserts the requests into the software queue and runs
     * it; 6.x, with no scheduler, issues them directly (blk_mq_dispatch_queue_requests). Either way the submitter
     * dispatches them.
     */
    private List<CompletableFuture<Void>> flushPlug(Plug plug, TraceContext ctx, long[] done) {
        if (trace.enabled()) {
            trace.emit(BLOCK_UNPLUG, ctx, plug.list.size(), ctx.task().comm());
        }
        if (!v6) {
            for (Request rq : plug.list) {
                rqTrace.insert(ctx, rq);
            }
        }
        List<CompletableFuture<Void>> issued = new ArrayList<>(plug.list.size());
        for (Request rq : plug.list) {
            issued.add(issue(rq, ctx, done));
        }
        plug.list.clear();
        return issued;
    }

    /**
     * blk_insert_flush: a PREFLUSH becomes a flush request (FF) that completes before the data is issued; PREFLUSH
     * is stripped from the data request and SYNC added; FUA stays (the device supports it). An empty flush bio's own
     * request completes when the flush does.
     */
    private CompletableFuture<Void> flushSequence(Gendisk.HdStruct part, Bio original, Bio b, int slot,
                                                  TraceContext ctx, long[] done) {
        long dev = disk.dev().devT();
        queueBio(part, original, b, ctx);
        if (trace.enabled()) {
            trace.emit(BLOCK_GETRQ, ctx, dev, b.sector(), b.nrSectors(), b.rwbs(), ctx.task().comm());
        }
        Set<ReqFlag> dataFlags = EnumSet.noneOf(ReqFlag.class);
        dataFlags.addAll(b.flags());
        dataFlags.remove(ReqFlag.PREFLUSH);
        dataFlags.add(ReqFlag.SYNC);
        Request data = new Request(b.op(), dataFlags, b.sector());
        data.bios.add(b);
        data.slots.add(slot);
        data.bytes = b.bytes();
        data.ioprio = IoPrio.of(ctx.task());
        if (v6) {
            return blkInsertFlush(b, data, slot, ctx, done);
        }
        CompletableFuture<Void> preflush = b.flags().contains(ReqFlag.PREFLUSH)
                ? issue(Request.flush(), ctx, done) : CompletableFuture.completedFuture(null);
        if (b.bytes() == 0) {
            return preflush.thenRun(() -> {
                done[slot] = time.nanoTime();
                rqTrace.complete(Trace.as(ctx, Trace.IRQ), data, 0, 0);
            });
        }
        // the data after its flush is issued off the flush's completion interrupt, for the same reason as a segment
        return b.flags().contains(ReqFlag.PREFLUSH) ? preflush.thenComposeAsync(v -> issue(data, ctx, done), background)
                : issue(data, ctx, done);
    }

    /**
     * 6.x's blk_insert_flush, which sequences the request (REQ_FSEQ_*) through the flush machinery when it has a
     * PREFLUSH: blk_kick_flush hands the flush request to the requeue work, so kblockd's worker on the submitter's
     * cpu dispatches it; flush_end_io kicks that work again from the completion (the same cpu), and the worker inserts
     * the data and dispatches it; FUA needs no post-flush. At REQ_FSEQ_DONE, blk_mq_end_request ends the original
     * request a second time, with nothing left to complete. A FUA write without PREFLUSH takes the plug as any
     * request.
     */
    private CompletableFuture<Void> blkInsertFlush(Bio b, Request data, int slot, TraceContext ctx, long[] done) {
        rqTrace.ioStart(ctx, data, b.rwbs());
        if (!b.flags().contains(ReqFlag.PREFLUSH)) {
            plugOne(ctx);
            return issue(data, ctx, done);
        }
        TraceContext kworker = cpus.kblockd(ctx);
        CompletableFuture<Void> sequence = issue(Request.flush(), kworker, done);
        if (b.bytes() > 0) {
            sequence = sequence.thenComposeAsync(v -> {
                rqTrace.insert(kworker, data);
                return issue(data, kworker, done);
            }, background);
        }
        return sequence.handle((v, e) -> {
            if (b.bytes() == 0) {
                done[slot] = time.nanoTime();
            }
            ErrnoException error = errnoOf(e);
            if (trace.enabled()) {
                TraceContext softirq = cpus.ksoftirqd(kworker);
                rqTrace.complete(softirq, data, 0, error == null ? 0 : -error.errno().code());
                rqTrace.ioDone(softirq, data);
            }
            if (e != null) {
                throw e instanceof CompletionException c ? c : new CompletionException(e);
            }
            return null;
        });
    }

    private static ErrnoException errnoOf(Throwable e) {
        Throwable t = e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e;
        return t instanceof ErrnoException errno ? errno : t == null ? null : new ErrnoException(Errno.EIO, t.getMessage(), t);
    }

    /** blk_mq_get_tag (waits while 31 commands are in flight), blk_mq_start_request, ->queue_rq. */
    private CompletableFuture<Void> issue(Request rq, TraceContext ctx, long[] done) {
        rq.ctx = ctx;
        rq.done = done;
        rq.end = new CompletableFuture<>();
        startRequest(rq);
        if (rq.held == null) {
            rqTrace.issue(ctx, rq);
        }
        CompletableFuture<Void> end = rq.end;
        try {
            hba.queuecommand(rq, ctx, scsiDone);
        } catch (RuntimeException e) {
            finish(rq, new ErrnoException(Errno.EIO, "the host could not queue a " + rq.op() + " of sectors "
                    + rq.sector() + " + " + rq.nrSectors() + ": " + e.getMessage(), e));
        }
        return end;
    }

    /**
     * scsi_done from the completion interrupt: a quick completion (a write into the cache) finishes right there, as
     * blk_mq_complete_request does in the kernel; one that touches the image file finishes in the background.
     */
    private void scsiDone(Request rq) {
        if (hba.device().quick(rq)) {
            completions.execute(() -> complete(rq));
        } else {
            background.execute(() -> complete(rq));
        }
    }

    /** The completion: blk_mq_complete_request → blk_update_request (block_rq_complete) → bio_endio; tag freed. */
    private void complete(Request rq) {
        HeldPlug.Entry held = rq.held;
        if (held != null) {
            held.completing();
        }
        ErrnoException error = null;
        try {
            hba.complete(rq, rq.ctx);
        } catch (ErrnoException e) {
            error = e;
        } catch (RuntimeException e) {
            error = new ErrnoException(Errno.EIO, "the device failed a " + rq.op() + " of sectors " + rq.sector()
                    + " + " + rq.nrSectors() + ": " + e.getMessage() + "; see the blockdev-service log", e);
        }
        finish(rq, error);
    }

    /**
     * blk_update_request (block_rq_complete), then 6.x's blk_account_io_done (block_io_done): in the interrupt under
     * 4.x, in the BLOCK_SOFTIRQ of the issuing cpu's ksoftirqd under 6.x.
     */
    private void finish(Request rq, ErrnoException error) {
        long now = time.nanoTime();
        if (trace.enabled()) {
            TraceContext irq = v6 ? cpus.ksoftirqd(rq.ctx) : Trace.as(rq.ctx, Trace.IRQ);
            int code = error == null ? 0 : -error.errno().code();
            rq.trace(() -> {
                rqTrace.complete(irq, rq, rq.nrSectors(), code);
                rqTrace.ioDone(irq, rq);
            });
        }
        if (error != null) {
            stats.errors.increment();
        }
        observer.observe(rq.op(), now - rq.issued);
        for (int i = 0; i < rq.slots.size(); i++) {
            int s = rq.slots.get(i);
            if (s >= 0) {
                rq.done[s] = now;
            }
        }
        endRequest(rq, now);
        CompletableFuture<Void> end = rq.end;
        rq.ctx = null; // the request is finished: keep nothing of the caller alive
        rq.done = null;
        rq.end = null;
        if (error != null) {
            end.completeExceptionally(error);
        } else {
            end.complete(null);
        }
    }

    /**
     * blk_mq_get_tag and blk_mq_start_request's bookkeeping under one lock: the tag, when the command reaches the
     * device ({@link TagCredit}) and the in-flight count. Waits while 31 commands are in flight.
     */
    private void startRequest(Request rq) {
        tags.acquireUninterruptibly();
        long now = time.nanoTime(); // the request starts once it has its tag: waiting for one is not its latency
        rq.issued = now;
        synchronized (tagLock) {
            int t = Integer.numberOfTrailingZeros(~usedTags);
            usedTags |= 1 << t;
            rq.tag = t;
            rq.arrival = credit.arrival(t, now);
            stats.start(now);
        }
    }

    /** blk_mq_end_request's bookkeeping, under the lock of {@link #startRequest}: disk stats, then the tag is free. */
    private void endRequest(Request rq, long now) {
        synchronized (tagLock) {
            stats.done(rq, now, now - rq.issued);
            int tag = rq.tag;
            usedTags &= ~(1 << tag);
            credit.freed(tag, now, rq.deadline(), tags.hasQueuedThreads());
        }
        tags.release();
    }

    /** Submitters waiting for a free tag. */
    public int waitingForTag() {
        return tags.getQueueLength();
    }

    /** Tags in use: commands in flight. */
    public int inFlight() {
        return stats.inFlight();
    }
}
