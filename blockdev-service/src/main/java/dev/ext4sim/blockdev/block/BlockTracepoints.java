package dev.ext4sim.blockdev.block;

import dev.ext4sim.bus.trace.Tracepoint;

/**
 * include/trace/events/block.h, in the format of the 4.x … 6.12 kernels (no ioprio column). The dev field holds a
 * dev_t; the text prints MAJOR,MINOR.
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
}
