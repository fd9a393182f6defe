package dev.ext4sim.blockdev.block;

import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_IO_DONE;
import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_IO_START;
import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_RQ_COMPLETE;
import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_RQ_COMPLETE_6X;
import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_RQ_INSERT;
import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_RQ_INSERT_6X;
import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_RQ_ISSUE;
import static dev.ext4sim.blockdev.block.BlockTracepoints.BLOCK_RQ_ISSUE_6X;

import dev.ext4sim.blockdev.Trace;
import dev.ext4sim.bus.trace.TraceContext;

/**
 * The request-level block events in the text of the service's kernel: 4.x prints no ioprio and {@code bytes} 0 for
 * filesystem requests; 6.x prints both, and adds block_io_start and block_io_done.
 */
final class RqTrace {
    private final Trace trace;
    private final long dev;
    private final boolean v6;

    RqTrace(Trace trace, long dev) {
        this.trace = trace;
        this.dev = dev;
        this.v6 = trace.profile().v6();
    }

    /**
     * blk_rq_trace_sector: a flush request's position was never set (blk_rq_init leaves -1), and the block_rq class
     * prints it as 0.
     */
    private static long traceSector(Request rq) {
        return rq.op() == ReqOp.FLUSH ? 0 : rq.sector();
    }

    void insert(TraceContext ctx, Request rq) {
        if (!trace.enabled()) {
            return;
        }
        if (v6) {
            trace.emit(BLOCK_RQ_INSERT_6X, ctx, dev, traceSector(rq), rq.nrSectors(), rq.bytes(), rq.ioprio.value(),
                    rq.rwbs(), ctx.task().comm(), "");
        } else {
            trace.emit(BLOCK_RQ_INSERT, ctx, dev, rq.sector(), rq.nrSectors(), 0, rq.rwbs(), ctx.task().comm(), "");
        }
    }

    void issue(TraceContext ctx, Request rq) {
        if (!trace.enabled()) {
            return;
        }
        if (v6) {
            trace.emit(BLOCK_RQ_ISSUE_6X, ctx, dev, traceSector(rq), rq.nrSectors(), rq.bytes(), rq.ioprio.value(),
                    rq.rwbs(), ctx.task().comm(), "");
        } else {
            trace.emit(BLOCK_RQ_ISSUE, ctx, dev, rq.sector(), rq.nrSectors(), 0, rq.rwbs(), ctx.task().comm(), "");
        }
    }

    /**
     * block_rq_complete from blk_update_request, {@code nrSectors} the sectors it completes. 6.x prints the position
     * raw (blk_rq_pos), so a flush request's reads 18446744073709551615.
     */
    void complete(TraceContext ctx, Request rq, int nrSectors, int error) {
        if (!trace.enabled()) {
            return;
        }
        if (v6) {
            trace.emit(BLOCK_RQ_COMPLETE_6X, ctx, dev, rq.op() == ReqOp.FLUSH ? -1L : rq.sector(), nrSectors, error,
                    rq.ioprio.value(), rq.rwbs(), "");
        } else {
            trace.emit(BLOCK_RQ_COMPLETE, ctx, dev, rq.sector(), nrSectors, error, rq.rwbs(), "");
        }
    }

    /**
     * 6.x's blk_account_io_start, in blk_mq_bio_to_request: the request still has its bio's flags ({@code rwbs}),
     * since blk_insert_flush strips PREFLUSH only after it.
     */
    void ioStart(TraceContext ctx, Request rq, String rwbs) {
        if (v6 && trace.enabled()) {
            trace.emit(BLOCK_IO_START, ctx, dev, traceSector(rq), rq.nrSectors(), rq.bytes(), rq.ioprio.value(), rwbs,
                    ctx.task().comm(), "");
        }
    }

    /**
     * 6.x's blk_account_io_done, once blk_update_request has completed every byte: nothing is left to print, and the
     * 6.18 kernel prints no ioprio there either.
     */
    void ioDone(TraceContext ctx, Request rq) {
        if (v6 && trace.enabled()) {
            trace.emit(BLOCK_IO_DONE, ctx, dev, traceSector(rq), 0, 0, IoPrio.NONE.value(), rq.rwbs(),
                    ctx.task().comm(), "");
        }
    }
}
