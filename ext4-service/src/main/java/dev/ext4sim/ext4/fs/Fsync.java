package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.JournalTid;
import dev.ext4sim.ext4.port.WritebackControl;

/**
 * fsync.c ext4_sync_file (data=ordered with a journal) and super.c ext4_sync_fs. The data pass runs in the caller
 * under the filesystem lock; the commit wait and the cache flush run without it, so that jbd2's T_FLUSH can call back
 * into ext4 (submitInodeData) while a fsync waits.
 */
final class Fsync {
    private final Super sb;
    private final Writepages writepages;

    Fsync(Super sb, Writepages writepages) {
        this.sb = sb;
        this.writepages = writepages;
    }

    /**
     * What the locked half leaves for the unlocked one: the tid to wait for, whether every page over an allocated
     * block was written when it looked (data=ordered then has nothing to write in the commit's T_FLUSH), and whether
     * the file's data is journalled, so that only a commit makes it durable.
     */
    record Begun(JournalTid tid, boolean orderedDataWritten, boolean journalData) {
    }

    /** The locked first half: ext4_sync_file_enter and file_write_and_wait_range. */
    Begun begin(TraceContext ctx, Ext4InodeInfo ei, boolean datasync, long start, long end) {
        sb.trace.ext4(Ext4Trace.SYNC_FILE_ENTER, ctx, (long) ei.ino, (long) ei.parent, datasync ? 1 : 0);
        writepages.writepagesNoWait(ctx, ei, WritebackControl.fsync(start, end));
        writepages.waitWriteback(ctx, ei, start >>> PageCache.PAGE_SHIFT, end >>> PageCache.PAGE_SHIFT);
        return new Begun(datasync ? ei.datasyncTid : ei.syncTid, orderedDataWritten(), sb.shouldJournalData(ei));
    }

    /**
     * Whether ext4_journal_submit_inode_data_buffers would find nothing to write in any inode now: no dirty page over
     * an allocated block (a delayed page is writeback's, never data=ordered's). Called under the filesystem lock, which
     * every data write holds until the device has it, so a clean page here is on the device.
     */
    private boolean orderedDataWritten() {
        if (sb.nrDirty == 0) {
            return true;
        }
        for (Ext4InodeInfo ei : sb.inodes()) {
            if (ei.pages.dirtyPages() == 0) {
                continue;
            }
            for (PageCache.Page p : ei.pages.dirtyIn(0, Long.MAX_VALUE)) {
                ExtentStatus.Es es = ei.es.lookup(p.index);
                if (es != null && es.written()) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The unlocked second half: jbd2_complete_transaction on i_sync_tid (or i_datasync_tid), then blkdev_issue_flush
     * unless that commit's own PREFLUSH already covered the data. Under data=journal, ext4_force_commit instead: the
     * file's pages were logged, not written, and the commit that writes them to the journal is what makes them durable
     * (its commit block's PREFLUSH|FUA is the barrier).
     */
    void complete(TraceContext ctx, Begun begun) {
        JournalTid tid = begun.tid();
        sb.crashPoints.accept(Ext4CrashPoints.SYNC_FILE_BEFORE_COMMIT_WAIT);
        if (begun.journalData()) {
            sb.journal.forceCommit(ctx);
            return;
        }
        boolean barrierSent = tid != null && sb.journal.completeTransaction(ctx, tid, begun.orderedDataWritten());
        if (!barrierSent) {
            sb.block.flush(ctx);
        }
    }

    void exit(TraceContext ctx, Ext4InodeInfo ei, int ret) {
        sb.trace.ext4(Ext4Trace.SYNC_FILE_EXIT, ctx, (long) ei.ino, ret);
    }

    /**
     * ext4_sync_fs: with wait, commit whatever runs and wait for it, then flush the device (the kernel flushes when no
     * commit was needed; flushing always keeps sync(2) durable for overwrites that journaled nothing).
     */
    void syncFs(TraceContext ctx, boolean wait) {
        sb.trace.ext4(Ext4Trace.SYNC_FS, ctx, wait ? 1 : 0);
        if (wait) {
            sb.journal.forceCommit(ctx);
            sb.block.flush(ctx);
        }
    }
}
