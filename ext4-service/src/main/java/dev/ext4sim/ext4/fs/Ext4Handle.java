package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.JournalHandle;
import dev.ext4sim.ext4.port.JournalTid;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A running handle as ext4_jbd2.c wraps it. The first change of a metadata buffer gets write access; at stop every
 * changed buffer goes to jbd2 with its final bytes (ext4_handle_dirty_metadata), and the inodes marked dirty in it
 * learn the tid for fsync (ext4_update_inode_fsync_trans). A nested start (ext4_dirty_inode inside write_end) only
 * counts a reference, as jbd2 does for a task that already holds a handle.
 */
final class Ext4Handle implements BufferCache.Dirtier {
    final TraceContext owner;
    private final JournalHandle journal;
    private final Set<Long> access = new LinkedHashSet<>();
    /** data=journal: the file blocks this handle has write access to, and the pages it logs for them (at stop). */
    private final Set<Long> dataAccess = new LinkedHashSet<>();
    private final Map<Long, byte[]> data = new LinkedHashMap<>();
    /** Inodes marked dirty, with whether the change matters to fdatasync. */
    private final Map<Ext4InodeInfo, Boolean> marked = new LinkedHashMap<>();
    private final java.util.List<java.util.function.Consumer<JournalTid>> onStop = new java.util.ArrayList<>();
    private int refs = 1;

    Ext4Handle(TraceContext owner, JournalHandle journal) {
        this.owner = owner;
        this.journal = journal;
    }

    @Override
    public void dirtied(long block) {
        if (access.add(block)) {
            journal.getWriteAccess(block);
        }
    }

    void revoke(long block) {
        access.remove(block);
        journal.revoke(block);
    }

    /** do_journal_get_write_access on a file page's buffer (data=journal's write_begin). */
    void dataWriteAccess(long block) {
        if (dataAccess.add(block)) {
            journal.getWriteAccess(block);
        }
    }

    /**
     * write_end_fn's ext4_handle_dirty_metadata on a file page's buffer: the page's bytes as they are when the handle
     * stops are logged for {@code block}.
     */
    void dirtyData(long block, byte[] page) {
        if (!dataAccess.contains(block)) {
            throw new IllegalStateException("data block " + block + " dirtied without write access");
        }
        data.put(block, page);
    }

    /** ext4_forget of a freed file block under data=journal: jbd2_journal_forget, no revoke. */
    void forget(long block) {
        data.remove(block);
        dataAccess.remove(block);
        journal.forget(block);
    }

    void inodeRangedWrite(long ino, long start, long length) {
        journal.inodeRangedWrite(ino, start, length);
    }

    void marked(Ext4InodeInfo ei, boolean datasync) {
        marked.merge(ei, datasync, Boolean::logicalOr);
    }

    /** Runs with the tid once the handle stopped (freed blocks learn their transaction). */
    void onStop(java.util.function.Consumer<JournalTid> action) {
        onStop.add(action);
    }

    void nest() {
        refs++;
    }

    /** Drops one reference; true when this was the outermost and the handle must really stop. */
    boolean unnest() {
        return --refs == 0;
    }

    /** The inodes marked dirty in this handle, whose in-core copy must reach the buffer before stop. */
    Iterable<Ext4InodeInfo> markedInodes() {
        return marked.keySet();
    }

    /** Sends the changed buffers with their contents as {@code cache} now holds them, then stops the handle. */
    JournalTid stop(BufferCache cache) {
        for (long block : access) {
            journal.dirtyMetadata(block, cache.buffer(block).clone());
        }
        data.forEach((block, page) -> journal.dirtyMetadata(block, page.clone()));
        JournalTid tid = journal.stop();
        onStop.forEach(a -> a.accept(tid));
        marked.forEach((ei, datasync) -> {
            ei.syncTid = tid;
            if (datasync) {
                ei.datasyncTid = tid;
            }
        });
        return tid;
    }
}
