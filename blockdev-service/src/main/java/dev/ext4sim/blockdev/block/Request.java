package dev.ext4sim.blockdev.block;

import dev.ext4sim.bus.trace.TraceContext;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** struct request: one or more merged bios on adjacent disk sectors, or a flush request. */
public final class Request {
    final ReqOp op;
    final Set<ReqFlag> flags;
    /** Moves back when a bio merges in front (6.x's plug). */
    long sector;
    final List<Bio> bios = new ArrayList<>(1);
    /** Index of each bio in its submission, aligned with {@link #bios}; -1 for the flush machinery's own. */
    final List<Integer> slots = new ArrayList<>(1);
    int bytes;
    /** The submitter's, as blk_mq_bio_to_request takes it from the first bio; the flush machinery's own has none. */
    IoPrio ioprio = IoPrio.NONE;
    int tag = -1;
    /** When the command reached the device, and when the device completes it (injected clock). */
    long arrival;
    long deadline;
    /** While in flight: the submitter's context, when it was issued, where its bios' completion times go, its end. */
    TraceContext ctx;
    long issued;
    long[] done;
    CompletableFuture<Void> end;
    /** The plug holding this request's trace, if one outlives its submission ({@link HeldPlug}). */
    volatile HeldPlug.Entry held;

    public Request(ReqOp op, Set<ReqFlag> flags, long sector) {
        this.op = op;
        this.flags = flags.isEmpty() ? Set.of() : EnumSet.copyOf(flags);
        this.sector = sector;
    }

    /** A request of one bio, as a driver test makes one. */
    public static Request of(Bio bio) {
        return of(bio, 0);
    }

    static Request of(Bio bio, int slot) {
        Request rq = new Request(bio.op(), bio.flags(), bio.sector());
        rq.bios.add(bio);
        rq.slots.add(slot);
        rq.bytes = bio.bytes();
        return rq;
    }

    /** The flush request of blk-flush: REQ_OP_FLUSH | REQ_PREFLUSH, no data, rwbs "FF". */
    public static Request flush() {
        return new Request(ReqOp.FLUSH, EnumSet.of(ReqFlag.PREFLUSH), 0);
    }

    /** Runs {@code emit} now, or at the finish of the plug that holds the request's trace. */
    public void trace(Runnable emit) {
        HeldPlug.Entry e = held;
        if (e == null || !e.defer(emit)) {
            emit.run();
        }
    }

    public ReqOp op() {
        return op;
    }

    public Set<ReqFlag> flags() {
        return flags;
    }

    public long sector() {
        return sector;
    }

    public int bytes() {
        return bytes;
    }

    public int nrSectors() {
        return bytes >> 9;
    }

    public int tag() {
        return tag;
    }

    public long arrival() {
        return arrival;
    }

    public long deadline() {
        return deadline;
    }

    public void setDeadline(long deadline) {
        this.deadline = deadline;
    }

    public String rwbs() {
        return Rwbs.of(op, flags);
    }

    public List<Bio> bios() {
        return bios;
    }

    /** blk_attempt_bio_merge / bio_attempt_back_merge: same op and flags, starts where this request ends. */
    boolean canBackMerge(Bio bio, int maxBytes) {
        return bio.op() == op && bio.flags().equals(flags) && !bio.isFlushOrFua()
                && sector + nrSectors() == bio.sector() && bytes + bio.bytes() <= maxBytes;
    }

    void backMerge(Bio bio, int slot) {
        bios.add(bio);
        slots.add(slot);
        bytes += bio.bytes();
    }

    /** bio_attempt_front_merge: same op and flags, ends where this request starts. */
    boolean canFrontMerge(Bio bio, int maxBytes) {
        return bio.op() == op && bio.flags().equals(flags) && !bio.isFlushOrFua()
                && bio.sector() + bio.nrSectors() == sector && bytes + bio.bytes() <= maxBytes;
    }

    void frontMerge(Bio bio, int slot) {
        bios.addFirst(bio);
        slots.addFirst(slot);
        bytes += bio.bytes();
        sector = bio.sector();
    }
}
