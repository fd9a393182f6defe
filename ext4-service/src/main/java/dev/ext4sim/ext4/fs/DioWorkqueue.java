package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * sb->s_dio_done_wq, the {@code dio/<s_id>} workqueue (fs/direct-io.c sb_init_dio_done_wq): the completions of AIO
 * direct writes whose bios are done. A write that mapped unwritten blocks has an io_end, so its last bio's
 * dio_bio_end_aio defers dio_complete here (defer_completion), and the kworker converts the extents before
 * ki_complete; one without needs no process context, and completes in the bio's completion. Until the work runs
 * the extents stay unwritten: a read sees zeros, and the iocb's result is not reapable.
 *
 * <p>Work is queued under the filesystem lock and run by whoever drains the queue: the service's worker thread, a
 * caller that must wait for the inode's direct I/O (inode_dio_wait), or a test.
 */
final class DioWorkqueue {
    /** The bound kworker that runs dio/sda1's work (WQ_MEM_RECLAIM, per cpu: kworker/N:M; 6.18 ran it in kworker/1:0); pid 18 puts it on cpu 1 of the trace. */
    static final Task WORKER = new Task("kworker/1:0", 18);

    /**
     * An io_submit iocb: its id in the submitter's io context, the submitter (whose context reaps it), and IOCB_SYNC /
     * IOCB_DSYNC from the file's O_SYNC / O_DSYNC.
     */
    record Kiocb(long id, Task task, boolean sync, boolean dsync) {
    }

    /** A done direct write: the range, whether it mapped unwritten blocks (an io_end), the writer's trace id. */
    record Work(Kiocb iocb, Ext4InodeInfo ei, long pos, int len, boolean unwritten, String traceId) {
        TraceContext worker() {
            return new TraceContext(traceId, WORKER);
        }
    }

    private final Deque<Work> pending = new ArrayDeque<>();
    /** Completions made in the bios' completion (no io_end), for ki_complete once the submitter lets go of the lock. */
    private final List<Work> completedInIrq = new ArrayList<>();
    private Runnable kick = () -> {
    };

    /** What queue_work wakes: the worker that will drain the queue. */
    void kick(Runnable kick) {
        this.kick = kick;
    }

    /**
     * dio_bio_end_aio of the write's last bio. An O_SYNC/O_DSYNC iocb was set to defer at submission too, so that
     * generic_write_sync runs in the kworker.
     */
    void completed(Work w) {
        if (w.unwritten() || w.iocb().sync() || w.iocb().dsync()) {
            pending.add(w);
            kick.run();
        } else {
            completedInIrq.add(w);
        }
    }

    /** The next deferred completion, or null. */
    Work poll() {
        return pending.poll();
    }

    boolean hasPending() {
        return !pending.isEmpty();
    }

    /** The completions made in bio context since the last call. */
    List<Work> takeCompletedInIrq() {
        List<Work> out = List.copyOf(completedInIrq);
        completedInIrq.clear();
        return out;
    }
}
