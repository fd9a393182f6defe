package dev.ext4sim.ondisk.logwrites;

/**
 * One {@code struct log_write_entry}: {@code sector} and {@code nrSectors} in the log's sector size (the device's
 * logical block), {@code flags} of {@link LogWrites}, a mark's text (null otherwise), and where the entry's data
 * starts in the log file.
 */
public record LogWriteEntry(long index, long sector, long nrSectors, long flags, String mark, long dataOffset) {
    public boolean flush() {
        return (flags & LogWrites.LOG_FLUSH_FLAG) != 0;
    }

    public boolean fua() {
        return (flags & LogWrites.LOG_FUA_FLAG) != 0;
    }

    public boolean isMark() {
        return (flags & LogWrites.LOG_MARK_FLAG) != 0;
    }

    /** A point where the device promised durability: a cache flush or a FUA write (ACE's persistence points). */
    public boolean persistencePoint() {
        return flush() || fua();
    }
}
