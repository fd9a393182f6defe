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

    /**
     * jbd2_complete_transaction is about to wait for this tid: an adapter that has not sent the handle yet may ask for
     * the commit together with it, a round trip before the wait would. {@code orderedDataWritten}: the waiter found
     * every page over an allocated block written, so that commit's data=ordered pass has nothing to write.
     * Returns whether the request travels with the handle (it was not sent yet): only then does
     * {@link #commitFlushPromised} speak for this waiter, whose data may have reached the device after an earlier
     * waiter's commit was judged.
     */
    default boolean commitWanted(boolean orderedDataWritten) {
        return false;
    }

    /**
     * Once the tid is known: whether the commit asked for with the handle (see {@link #commitWanted}) was judged, before
     * it began, to send the flush that makes data written before it durable. Meaningful only to a waiter whose
     * commitWanted returned true.
     */
    default boolean commitFlushPromised() {
        return false;
    }

    /** The tid if the adapter knows it already, else -1; never waits. */
    default int peek() {
        return await();
    }

    static JournalTid of(int tid) {
        return () -> tid;
    }
}
