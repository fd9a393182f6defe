package dev.ext4sim.ondisk.jbd2;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The checkpoint list (fs/jbd2/checkpoint.c): committed transactions whose blocks are in the log but maybe not
 * yet at home. Checkpointing writes each home block's newest journaled contents home and flushes; only then may
 * the writer move the log tail past those transactions.
 */
final class Checkpoint {
    private record Entry(CommittedTransaction where, Transaction contents) {
    }

    private final Deque<Entry> transactions = new ArrayDeque<>();
    private long logBlocksInUse;

    void add(CommittedTransaction where, Transaction contents) {
        transactions.addLast(new Entry(where, contents));
        logBlocksInUse += where.length();
    }

    boolean isEmpty() {
        return transactions.isEmpty();
    }

    long logBlocksInUse() {
        return logBlocksInUse;
    }

    /**
     * The newest journaled contents of home block {@code home} among the transactions not yet checkpointed, or null
     * when none holds it or a later one revoked it.
     */
    byte[] newestCopy(long home) {
        byte[] newest = null;
        for (Entry e : transactions) {
            if (e.contents().revoked().contains(home)) {
                newest = null;
            }
            for (MetadataBlock b : e.contents().blocks()) {
                if (b.home() == home) {
                    newest = b.dataNoCopy();
                }
            }
        }
        return newest;
    }

    /**
     * {@code jbd2_log_do_checkpoint} for every transaction, then the cache flush the kernel issues before
     * {@code jbd2_cleanup_journal_tail} moves the tail. A block revoked by a later transaction was freed
     * ({@code jbd2_journal_forget} drops it from the checkpoint list), so it is not written.
     */
    int writeAllHome(JournalArea area) {
        Map<Long, byte[]> newest = new LinkedHashMap<>();
        for (Entry e : transactions) {
            for (long r : e.contents().revoked()) {
                newest.remove(r);
            }
            for (MetadataBlock b : e.contents().blocks()) {
                newest.remove(b.home());
                newest.put(b.home(), b.dataNoCopy());
            }
        }
        for (Map.Entry<Long, byte[]> e : newest.entrySet()) {
            area.writeHome(e.getKey(), e.getValue());
        }
        area.flush();
        transactions.clear();
        logBlocksInUse = 0;
        return newest.size();
    }
}
