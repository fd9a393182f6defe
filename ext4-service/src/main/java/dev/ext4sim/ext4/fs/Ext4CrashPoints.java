package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.crash.CrashPoints;
import java.util.List;

/**
 * Where ext4-service can be made to die: in ext4_writepages, ext4_sync_file, the 6.x end_io, and the 4.x direct write
 * and its AIO completion.
 */
public final class Ext4CrashPoints {
    public static final String WRITEPAGES_AFTER_BIOS = "ext4.writepages.after_bios";
    public static final String SYNC_FILE_BEFORE_COMMIT_WAIT = "ext4.sync_file.before_commit_wait";
    public static final String END_IO_BEFORE_CONVERSION = "ext4.end_io.before_conversion";
    /**
     * 4.x ext4_direct_IO_write: the data bios are done, unwritten extents not yet converted, an extending write's inode
     * still on the orphan list (the next mount's ext4_orphan_cleanup truncates it back). Reached by O_DIRECT writes only.
     */
    public static final String DIRECT_IO_AFTER_BIOS = "ext4.direct_io.after_bios";
    /**
     * 4.x dio_aio_complete_work → dio_complete → ext4_end_io_dio, in the dio/sda1 kworker: an AIO direct write's bios
     * are done and its submitter has -EIOCBQUEUED, its unwritten extents not yet converted (ext4_convert_unwritten_extents),
     * so no generic_write_sync and no ki_complete: the iocb's event never comes. Reached by AIO writes that mapped
     * unwritten blocks only.
     */
    public static final String DIO_COMPLETE_BEFORE_CONVERSION = "ext4.dio_complete.before_conversion";

    public static final List<CrashPoints.Point> POINTS = List.of(
            new CrashPoints.Point(WRITEPAGES_AFTER_BIOS, "ext4_writepages: an extent's data bios are on the device "
                    + "(or its cache), the blocks and i_disksize that map them only in the running transaction"),
            new CrashPoints.Point(SYNC_FILE_BEFORE_COMMIT_WAIT, "ext4_sync_file: the file's pages written and waited "
                    + "on, the commit of its transaction neither started nor waited for (the fsync never returns)"),
            new CrashPoints.Point(END_IO_BEFORE_CONVERSION, "ext4_end_io_rsv_work (6.x): the data of an unwritten "
                    + "extent is on the device, its conversion to written not started"),
            new CrashPoints.Point(DIRECT_IO_AFTER_BIOS, "ext4_direct_IO_write (4.x): an O_DIRECT write's data bios are "
                    + "done, its unwritten extents not converted and an extending write's inode on the orphan list"),
            new CrashPoints.Point(DIO_COMPLETE_BEFORE_CONVERSION, "dio_complete (4.x, the dio/sda1 kworker): an AIO "
                    + "direct write's bios are done, its unwritten extents not converted, no O_DSYNC commit and no "
                    + "io_event for the submitter"));

    /**
     * The points a profile can reach: the conversion after I/O exists only where writeback allocates unwritten (6.x);
     * the direct write and its AIO completion only where O_DIRECT bypasses the page cache (4.x; 6.x takes it buffered
     * here).
     */
    public static List<CrashPoints.Point> points(dev.ext4sim.bus.trace.KernelProfile profile) {
        List<String> unreachable = profile.v6() ? List.of(DIRECT_IO_AFTER_BIOS, DIO_COMPLETE_BEFORE_CONVERSION)
                : List.of(END_IO_BEFORE_CONVERSION);
        return POINTS.stream().filter(p -> !unreachable.contains(p.name())).toList();
    }

    private Ext4CrashPoints() {
    }
}
