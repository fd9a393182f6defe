package dev.ext4sim.ext4.fs;

import dev.ext4sim.ext4.port.JournalTid;
import java.util.Map;
import java.util.TreeMap;

/**
 * Blocks freed by a transaction that has not committed (mballoc.c's ext4_free_data and s_freed_data_list). They are
 * free in the bitmap of that transaction, but handing them out before it commits would let a crash bring back the
 * file that owned them with another file's data in its blocks; so allocation skips them until jbd2's commit callback
 * (ext4_journal_commit_callback → ext4_process_freed_data) says their transaction is durable.
 */
final class FreedData {
    private static final class Entry {
        final long start;
        final int len;
        /** Null until the freeing handle stopped. */
        JournalTid tid;

        Entry(long start, int len) {
            this.start = start;
            this.len = len;
        }
    }

    private final TreeMap<Long, Entry> byStart = new TreeMap<>();

    /** Records a free inside handle {@code h}; its transaction becomes known at stop. */
    void add(Ext4Handle h, long start, int len) {
        Entry e = new Entry(start, len);
        Entry old = byStart.put(start, e);
        if (old != null && old.len > len) {
            byStart.put(start, old); // freed again after a fallback reuse: keep the wider range
            e = old;
        }
        Entry entry = e;
        h.onStop(tid -> entry.tid = tid);
    }

    boolean busy(long block) {
        Map.Entry<Long, Entry> e = byStart.floorEntry(block);
        return e != null && block < e.getKey() + e.getValue().len;
    }

    boolean isEmpty() {
        return byStart.isEmpty();
    }

    int size() {
        return byStart.size();
    }

    /** The transactions up to {@code tid} are durable: their freed blocks may be reused. */
    void committed(int tid) {
        byStart.values().removeIf(e -> {
            if (e.tid == null) {
                return false;
            }
            int t = e.tid.peek();
            return t >= 0 && t <= tid;
        });
    }
}
