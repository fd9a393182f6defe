package dev.ext4sim.ext4.remote;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.ext4.port.JournalTid;
import java.util.Map;

/**
 * A handle ext4 stopped locally, waiting on the journal pump: what RUN_BATCH sends for it, and its tid once jbd2
 * answered. When jbd2 lost its transaction (a restart before the commit), the tid is redirected to the handle that
 * logged its blocks again, so fsync waits for that one instead.
 */
final class PendingHandle implements JournalTid {
    final Jbd2Calls.BatchEntry entry;
    /** The dirty_metadata blocks as sent; dropped once jbd2 took the handle ({@link #blocks} stays for a re-log). */
    volatile byte[] data;
    /** The blocks this handle logged: contents, or null for a revoke (the latest state of each, in op order). */
    final Map<Long, byte[]> blocks;
    private int tid = -1;
    private String error;
    private PendingHandle redirect;
    /** An fsync waits for this handle's commit: the batch that carries it asks jbd2 to start that commit. */
    private boolean commitWanted;
    /** Some fsync that wants the commit found a dirty page over an allocated block: T_FLUSH has work. */
    private boolean orderedDataDirty;
    /** The pump read the two above for a batch: a later waiter's request no longer travels with the handle. */
    private boolean taken;
    /** The batch that carried it started its commit, which will send a flush after the fsync's data. */
    private volatile boolean flushPromised;
    /** Told when someone starts waiting for the tid: the pump then sends without lingering. */
    private volatile Runnable onAwait = () -> { };

    PendingHandle(Jbd2Calls.BatchEntry entry, byte[] data, Map<Long, byte[]> blocks) {
        this.entry = entry;
        this.data = data;
        this.blocks = blocks;
    }

    synchronized void resolve(int tid) {
        resolve(tid, false);
    }

    synchronized void resolve(int tid, boolean flushPromised) {
        this.flushPromised = flushPromised;
        this.tid = tid;
        this.data = null;
        notifyAll();
    }

    synchronized void fail(String error) {
        this.error = error;
        notifyAll();
    }

    /** Its transaction was lost: the tid to wait for is {@code to}'s. */
    synchronized void redirect(PendingHandle to) {
        this.redirect = to;
        this.tid = -1;
        notifyAll();
    }

    synchronized boolean answered() {
        return tid >= 0 || error != null;
    }

    synchronized int tidIfKnown() {
        return redirect != null ? -1 : tid;
    }

    @Override
    public synchronized boolean commitWanted(boolean orderedDataWritten) {
        if (taken) {
            return false;
        }
        if (!orderedDataWritten) {
            orderedDataDirty = true;
        }
        commitWanted = true;
        return true;
    }

    /** What the batch about to carry it asks of jbd2 for it; from here on a waiter asks jbd2 itself. */
    record Wanted(boolean commit, boolean orderedDataDirty) {
    }

    synchronized Wanted takeForSend() {
        taken = true;
        return new Wanted(commitWanted, orderedDataDirty); // only a waiter that wants the commit sets the second
    }

    @Override
    public boolean commitFlushPromised() {
        return flushPromised && redirect == null;
    }

    void onAwait(Runnable hurry) {
        this.onAwait = hurry;
    }

    @Override
    public int await() {
        if (!answered()) {
            onAwait.run();
        }
        PendingHandle next;
        synchronized (this) {
            while (redirect == null && tid < 0 && error == null) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ErrnoException(Errno.EIO, "interrupted while waiting for the journal to take a handle");
                }
            }
            if (redirect == null) {
                if (error != null) {
                    throw new ErrnoException(Errno.EIO, "jbd2 refused the handle: " + error);
                }
                return tid;
            }
            next = redirect;
        }
        return next.await();
    }

    @Override
    public int peek() {
        PendingHandle next;
        synchronized (this) {
            if (redirect == null) {
                return tid;
            }
            next = redirect;
        }
        return next.peek();
    }
}
