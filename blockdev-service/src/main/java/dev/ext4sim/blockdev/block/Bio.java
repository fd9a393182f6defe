package dev.ext4sim.blockdev.block;

import java.util.EnumSet;
import java.util.Set;

/**
 * struct bio: an operation on a range of 512-byte sectors of a block device, with its data for a write.
 * {@code sector} is relative to {@code part} until blk_partition_remap makes it disk-absolute.
 */
public record Bio(ReqOp op, Set<ReqFlag> flags, long sector, int bytes, byte[] data) {
    public Bio {
        flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
    }

    public int nrSectors() {
        return bytes >> 9;
    }

    public String rwbs() {
        return Rwbs.of(op, flags);
    }

    /** An empty PREFLUSH write: blkdev_issue_flush. */
    public boolean isEmptyFlush() {
        return bytes == 0 && flags.contains(ReqFlag.PREFLUSH);
    }

    public boolean isFlushOrFua() {
        return flags.contains(ReqFlag.PREFLUSH) || flags.contains(ReqFlag.FUA);
    }

    public Bio remapped(long diskSector) {
        return new Bio(op, flags, diskSector, bytes, data);
    }
}
