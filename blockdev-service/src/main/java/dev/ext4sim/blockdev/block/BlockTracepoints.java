package dev.ext4sim.blockdev.block;

import dev.ext4sim.bus.trace.Tracepoint;
import java.math.BigInteger;

/**
 * include/trace/events/block.h. The request events come twice: in the format of the 4.x … 6.12 kernels (no ioprio
 * column) and in that of 6.13 and later (the 6.x profile). The dev field holds a dev_t; the text prints MAJOR,MINOR.
 */
public final class BlockTracepoints {
    private BlockTracepoints() {
    }

    static int major(Object devT) {
        return (int) (((Number) devT).longValue() >> 20);
    }

    static int minor(Object devT) {
        return (int) (((Number) devT).longValue() & 0xFFFFF);
    }

    private static Tracepoint bio(String name) {
        return Tracepoint.define("block", name, "%d,%d %s %llu + %u [%s]", "dev", "sector", "nr_sector", "rwbs", "comm")
                .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[3], v[1], v[2], v[4]});
    }

    private static Tracepoint rq(String name) {
        return Tracepoint.define("block", name, "%d,%d %s %u (%s) %llu + %u [%s]",
                        "dev", "sector", "nr_sector", "bytes", "rwbs", "comm", "cmd")
                .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[4], v[3], v[6], v[1], v[2], v[5]});
    }

    public static final Tracepoint BLOCK_BIO_QUEUE = bio("block_bio_queue");
    public static final Tracepoint BLOCK_GETRQ = bio("block_getrq");
    public static final Tracepoint BLOCK_BIO_BACKMERGE = bio("block_bio_backmerge");
    /** In every kernel; ext4sim emits it in the 6.x profile, whose plug merges a bio in front of its last request. */
    public static final Tracepoint BLOCK_BIO_FRONTMERGE = bio("block_bio_frontmerge");

    public static final Tracepoint BLOCK_BIO_REMAP = Tracepoint.define("block", "block_bio_remap",
                    "%d,%d %s %llu + %u <- (%d,%d) %llu", "dev", "sector", "nr_sector", "old_dev", "old_sector", "rwbs")
            .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[5], v[1], v[2], major(v[3]), minor(v[3]), v[4]});

    public static final Tracepoint BLOCK_PLUG = Tracepoint.define("block", "block_plug", "[%s]", "comm");

    public static final Tracepoint BLOCK_UNPLUG = Tracepoint.define("block", "block_unplug", "[%s] %d", "nr_rq", "comm")
            .printk(v -> new Object[]{v[1], v[0]});

    public static final Tracepoint BLOCK_RQ_INSERT = rq("block_rq_insert");
    public static final Tracepoint BLOCK_RQ_ISSUE = rq("block_rq_issue");

    public static final Tracepoint BLOCK_RQ_COMPLETE = Tracepoint.define("block", "block_rq_complete",
                    "%d,%d %s (%s) %llu + %u [%d]", "dev", "sector", "nr_sector", "error", "rwbs", "cmd")
            .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[4], v[5], v[1], v[2], v[3]});

    // 6.13 and later: the block_rq class carries the request's ioprio, printed as class,hint,level

    /** sector_t prints unsigned: a flush request's unset position (-1) is 18446744073709551615. */
    private static Object sectorT(Object sector) {
        long s = ((Number) sector).longValue();
        return s >= 0 ? s : new BigInteger(Long.toUnsignedString(s));
    }

    private static Tracepoint rqIoprio(String name) {
        return Tracepoint.define("block", name, "%d,%d %s %u (%s) %llu + %u %s,%u,%u [%s]",
                        "dev", "sector", "nr_sector", "bytes", "ioprio", "rwbs", "comm", "cmd")
                .printk(v -> {
                    Object[] p = IoPrio.printk(v[4]);
                    return new Object[]{major(v[0]), minor(v[0]), v[5], v[3], v[7], sectorT(v[1]), v[2], p[0], p[1], p[2], v[6]};
                });
    }

    public static final Tracepoint BLOCK_RQ_INSERT_6X = rqIoprio("block_rq_insert");
    public static final Tracepoint BLOCK_RQ_ISSUE_6X = rqIoprio("block_rq_issue");
    /** 6.5 and later: blk_account_io_start, once a bio has become a new request. */
    public static final Tracepoint BLOCK_IO_START = rqIoprio("block_io_start");
    /** 6.5 and later: blk_account_io_done, as a request ends. */
    public static final Tracepoint BLOCK_IO_DONE = rqIoprio("block_io_done");

    public static final Tracepoint BLOCK_RQ_COMPLETE_6X = Tracepoint.define("block", "block_rq_complete",
                    "%d,%d %s (%s) %llu + %u %s,%u,%u [%d]", "dev", "sector", "nr_sector", "error", "ioprio", "rwbs", "cmd")
            .printk(v -> {
                Object[] p = IoPrio.printk(v[4]);
                return new Object[]{major(v[0]), minor(v[0]), v[5], v[6], sectorT(v[1]), v[2], p[0], p[1], p[2], v[3]};
            });
}
