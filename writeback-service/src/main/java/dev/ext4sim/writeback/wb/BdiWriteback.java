package dev.ext4sim.writeback.wb;

import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.trace.Task;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * struct bdi_writeback (include/linux/backing-dev-defs.h), the bdi's root wb: the dirty inode lists b_dirty, b_io,
 * b_more_io and b_dirty_time under list_lock, the work_list, the delayed work dwork (wb_workfn) and its flusher
 * task, last_old_flush, and the bandwidth figures the chunk size and the throttle use.
 */
public final class BdiWriteback {
    /** INIT_BW: 100 MB/s in pages, the bandwidth a wb starts with (and keeps here: no estimation yet). */
    public static final long INIT_BW = (100 << 20) / Sysctl.PAGE_SIZE;

    final BackingDevInfo bdi;
    final ReentrantLock listLock = new ReentrantLock();
    final IoList bDirty = new IoList("b_dirty");
    final IoList bIo = new IoList("b_io");
    final IoList bMoreIo = new IoList("b_more_io");
    final IoList bDirtyTime = new IoList("b_dirty_time");
    final Map<WbInode.Key, WbInode> inodes = new HashMap<>();
    final Deque<WbWritebackWork> workList = new ArrayDeque<>();
    final DelayedWork dwork;
    final Task worker;
    /** WB_registered: cleared at shutdown, after which work is refused. */
    boolean registered = true;
    /** WB_writeback_running: inside wb_do_writeback. */
    volatile boolean writebackRunning;
    long lastOldFlush;
    long avgWriteBandwidth = INIT_BW;
    long dirtyRatelimit = INIT_BW;
    volatile boolean dirtyExceeded;

    /** wb_init: the lists, last_old_flush = jiffies, INIT_DELAYED_WORK(&wb->dwork, wb_workfn). */
    BdiWriteback(BackingDevInfo bdi, long jiffies, Task worker, Workqueue wq, Scheduler scheduler,
                 Consumer<BdiWriteback> wbWorkfn) {
        this.bdi = bdi;
        this.lastOldFlush = jiffies;
        this.worker = worker;
        this.dwork = new DelayedWork(() -> wbWorkfn.accept(this), wq, scheduler);
    }

    /** The filesystems whose writepages wrote in the kworker's current round (its plug's bios), kworker only. */
    final java.util.Set<Integer> plugged = new java.util.TreeSet<>();
    /** The partitions whose pages the current wb_writeback wrote: its blk_plug holds their bios, kworker only. */
    final java.util.Set<Integer> blkPlugged = new java.util.TreeSet<>();

    /** dev_name(bdi->dev): "8:0". */
    public String name() {
        return bdi.name();
    }

    public Task worker() {
        return worker;
    }

    public DelayedWork dwork() {
        return dwork;
    }

    /** wb_has_dirty_io: b_dirty_time does not count. Caller holds list_lock. */
    boolean wb_has_dirty_io() {
        return !bDirty.isEmpty() || !bIo.isEmpty() || !bMoreIo.isEmpty();
    }

    /**
     * inode_io_list_move_locked: onto {@code head}; true when this made the wb's dirty io go from none to some (the
     * flusher must be woken), as wb_io_lists_populated says.
     */
    boolean inode_io_list_move_locked(WbInode inode, IoList head) {
        boolean had = wb_has_dirty_io();
        head.move(inode);
        inodes.put(inode.key(), inode);
        return head != bDirtyTime && !had;
    }

    /** inode_io_list_del_locked: off every list; writeback forgets a clean inode. */
    void inode_io_list_del_locked(WbInode inode) {
        if (inode.list != null) {
            inode.list.remove(inode);
        }
        inode.state &= ~InodeState.I_SYNC_QUEUED;
        inodes.remove(inode.key());
    }

    /** A snapshot of the lists, for tests and the REST view: ino numbers head (newest) to tail (oldest). */
    public Lists lists() {
        listLock.lock();
        try {
            return new Lists(inos(bDirty), inos(bIo), inos(bMoreIo), inos(bDirtyTime), workList.size());
        } finally {
            listLock.unlock();
        }
    }

    private static List<Long> inos(IoList l) {
        return l.toList().stream().map(i -> i.ino).toList();
    }

    /** Dirty state of one inode (i_state, dirtied_when), or null when writeback does not hold it. */
    public InodeView inode(int dev, long ino) {
        listLock.lock();
        try {
            WbInode i = inodes.get(new WbInode.Key(dev, ino));
            return i == null ? null : new InodeView(i.ino, i.state, i.dirtiedWhen, i.list == null ? null : i.list.name);
        } finally {
            listLock.unlock();
        }
    }

    public record Lists(List<Long> bDirty, List<Long> bIo, List<Long> bMoreIo, List<Long> bDirtyTime, int works) {
    }

    public record InodeView(long ino, int state, long dirtiedWhen, String list) {
    }
}
