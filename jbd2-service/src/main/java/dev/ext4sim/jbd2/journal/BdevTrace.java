package dev.ext4sim.jbd2.journal;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracepoint;
import dev.ext4sim.bus.trace.Tracer;
import java.util.Objects;

/**
 * The events of {@code mark_buffer_dirty} on a buffer of the block device, which a commit's t_forget pass calls for
 * each committed metadata buffer: block_dirty_buffer (include/trace/events/block.h, class block_buffer, whose
 * {@code sector} holds {@code b_blocknr}), then those of the block device inode's page cache
 * (include/trace/events/writeback.h), in the texts ext4-service's Ext4Trace and writeback-service print.
 *
 * <p>The block device inode ({@code bdev->bd_inode}) prints as: bdi the whole disk's ({@code inode_to_bdi} gives
 * {@code bd_bdi}, "8:0" for sda1); {@code i_ino} 0 in 4.x, whose {@code bdget} finds the inode by
 * {@code iget5_locked} and never sets it, and the dev_t in 6.x ({@code bdev_add} sets {@code i_ino = dev}, as the
 * capture's {@code ino=7340032} of loop0 shows); {@code i_mode} S_IFBLK alone; {@code i_sb->s_dev} the anonymous
 * dev_t of the "bdev" pseudo filesystem, mounted at boot after rootfs in 4.19 (0,2) and after shm_mnt and rootfs in
 * 6.x (0,3).
 */
final class BdevTrace {
    private static final String BLOCK = "block";
    private static final String WB = "writeback";

    /** The page size, and the size of every buffer here (4 KiB blocks). */
    static final int SIZE = 4096;
    /** S_IFBLK. */
    static final int S_IFBLK = 0060000;
    static final int I_DIRTY_SYNC = 0x1;
    static final int I_DIRTY_DATASYNC = 0x2;
    static final int I_DIRTY_PAGES = 0x4;
    static final int I_DIRTY = I_DIRTY_SYNC | I_DIRTY_DATASYNC | I_DIRTY_PAGES;
    /** show_inode_state's first entries: the block device inode only ever gets I_DIRTY_PAGES here. */
    private static final long[] STATE_BITS = {I_DIRTY_SYNC, I_DIRTY_DATASYNC, I_DIRTY_PAGES};
    private static final String[] STATE_NAMES = {"I_DIRTY_SYNC", "I_DIRTY_DATASYNC", "I_DIRTY_PAGES"};
    /** MKDEV(0, n) of the bdev pseudo superblock. */
    static final int BDEV_SB_DEV_4X = 2;
    static final int BDEV_SB_DEV_6X = 3;
    /**
     * track_foreign_dirty's ids: the disk's bdi (bdi->id, the first registered), the root memcg of the wb, and the
     * cgroup the page was charged to when first read. ext4sim has no memory cgroups; the charged cgroup's inode is
     * the one the capture shows.
     */
    static final long BDI_ID = 1;
    static final int WB_MEMCG_ID = 1;
    static final long WB_CGROUP_INO = 1;
    static final long PAGE_CGROUP_INO = 23861;

    static final Tracepoint BLOCK_DIRTY_BUFFER = Tracepoint.define(BLOCK, "block_dirty_buffer",
            "%d,%d sector=%llu size=%zu", "dev", "sector", "size")
            .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[1], v[2]});
    /** account_page_dirtied, ≤5.17 (the 4.x profile). */
    static final Tracepoint WRITEBACK_DIRTY_PAGE = Tracepoint.define(WB, "writeback_dirty_page",
            "bdi %s: ino=%lu index=%lu", "name", "ino", "index");
    /** folio_account_dirtied, 5.18+ (the 6.x profile): writeback_dirty_page renamed, the same text. */
    static final Tracepoint WRITEBACK_DIRTY_FOLIO = Tracepoint.define(WB, "writeback_dirty_folio",
            "bdi %s: ino=%lu index=%lu", "name", "ino", "index");
    /** mem_cgroup_track_foreign_dirty_slowpath, 5.3+ (the 6.x profile): the page's memcg is not the wb's. */
    static final Tracepoint TRACK_FOREIGN_DIRTY = Tracepoint.define(WB, "track_foreign_dirty",
            "bdi %s[%llu]: ino=%lu memcg_id=%u cgroup_ino=%lu page_cgroup_ino=%lu",
            "name", "bdi_id", "ino", "memcg_id", "cgroup_ino", "page_cgroup_ino");
    static final Tracepoint WRITEBACK_MARK_INODE_DIRTY = Tracepoint.define(WB, "writeback_mark_inode_dirty",
                    "bdi %s: ino=%lu state=%s flags=%s", "name", "ino", "state", "flags")
            .printk(v -> new Object[]{v[0], v[1], state(v[2]), state(v[3])});
    /** Class writeback_inode_template: fields (dev, ino, state, mode, dirtied_when), printed dirtied_when first. */
    static final Tracepoint WRITEBACK_DIRTY_INODE_ENQUEUE = Tracepoint.define(WB, "writeback_dirty_inode_enqueue",
                    "dev %d,%d ino %lu dirtied %lu state %s mode 0%o", "dev", "ino", "state", "mode", "dirtied_when")
            .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[1], v[4], state(v[2]), v[3]});

    /** Class wbc_class as 5.2+ print it (the 6.x profile): write_cache_pages, once per dirty folio it takes. */
    static final Tracepoint WBC_WRITEPAGE = Tracepoint.define(WB, "wbc_writepage",
            "bdi %s: towrt=%ld skip=%ld mode=%d kupd=%d bgrd=%d cyclic=%d start=0x%lx end=0x%lx cgroup_ino=%lu",
            "name", "nr_to_write", "pages_skipped", "sync_mode", "for_kupdate", "for_background", "range_cyclic",
            "range_start", "range_end", "cgroup_ino");

    private final Tracer tracer;
    private final int devT;
    private final String bdi;
    private final boolean v6;

    /** @param devT the filesystem's partition (8,1), whose block device inode holds the home blocks */
    BdevTrace(Tracer tracer, int devT) {
        this.tracer = Objects.requireNonNull(tracer);
        this.devT = devT;
        this.bdi = bdiName(devT);
        this.v6 = tracer.profile().v6();
    }

    /** The whole disk's bdi name: sd disks take 16 minors each (SD_MINORS), so sda1 (8,1) is on bdi "8:0". */
    static String bdiName(int devT) {
        int major = major(devT);
        int minor = minor(devT);
        return major + ":" + (major == 8 ? minor & ~15 : minor);
    }

    /** i_ino of the block device inode. */
    long ino() {
        return v6 ? Integer.toUnsignedLong(devT) : 0;
    }

    /** The shared trace clock's now, for dirtied_when. */
    long now() {
        return tracer.now();
    }

    void blockDirtyBuffer(TraceContext ctx, long block) {
        tracer.emit(BLOCK_DIRTY_BUFFER, ctx, devT, block, SIZE);
    }

    /** The page of {@code index} turned dirty: __set_page_dirty's accounting (6.x: __folio_mark_dirty's). */
    void dirtyPage(TraceContext ctx, long index) {
        tracer.emit(v6 ? WRITEBACK_DIRTY_FOLIO : WRITEBACK_DIRTY_PAGE, ctx, bdi, ino(), index);
        if (v6) {
            tracer.emit(TRACK_FOREIGN_DIRTY, ctx, bdi, BDI_ID, ino(), WB_MEMCG_ID, WB_CGROUP_INO, PAGE_CGROUP_INO);
        }
    }

    void wbcWritepage(TraceContext ctx, BdevWbc wbc, long nrToWrite) {
        tracer.emit(WBC_WRITEPAGE, ctx, bdi, nrToWrite, 0L, wbc.syncMode(), wbc.forKupdate() ? 1 : 0,
                wbc.forBackground() ? 1 : 0, wbc.rangeCyclic() ? 1 : 0, wbc.rangeStart(), wbc.rangeEnd(),
                WB_CGROUP_INO);
    }

    boolean v6() {
        return v6;
    }

    int devT() {
        return devT;
    }

    void markInodeDirty(TraceContext ctx, int state, int flags) {
        tracer.emit(WRITEBACK_MARK_INODE_DIRTY, ctx, bdi, ino(), state, flags);
    }

    void dirtyInodeEnqueue(TraceContext ctx, int state, long dirtiedWhen) {
        int sbDev = v6 ? BDEV_SB_DEV_6X : BDEV_SB_DEV_4X;
        tracer.emit(WRITEBACK_DIRTY_INODE_ENQUEUE, ctx, sbDev, ino(), state, S_IFBLK, dirtiedWhen);
    }

    private static String state(Object v) {
        return Ext4MapTrace.print(((Number) v).longValue(), "|", STATE_BITS, STATE_NAMES);
    }

    private static int major(Object devT) {
        return ((Number) devT).intValue() >>> 20;
    }

    private static int minor(Object devT) {
        return ((Number) devT).intValue() & 0xFFFFF;
    }
}
