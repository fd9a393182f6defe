package dev.ext4sim.ext4.port;

/**
 * The transaction a handle ran in. An adapter that streams handles to jbd2 without waiting learns the tid only when
 * jbd2 answers; ext4 keeps this reference as i_sync_tid / i_datasync_tid and resolves it only when it must wait
 * (fsync), so the write path never blocks on it.
 */
@FunctionalInterface
public interface JournalTid {
    /** The tid, waiting for the adapter to learn it if need be. */
    int await();

    /** The tid if the adapter knows it already, else -1; never waits. */
    default int peek() {
        return await();
    }

    static JournalTid of(int tid) {
        return () -> tid;
    }
}
