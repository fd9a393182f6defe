package dev.ext4sim.writeback.wb;

/**
 * Where queued work runs: a worker task ({@link Kworker}, a virtual thread) in the service, the caller's own thread
 * in tests ({@link #INLINE}), so that a test's clock advance runs wb_workfn to completion before it returns.
 */
@FunctionalInterface
public interface Workqueue {
    Workqueue INLINE = Runnable::run;

    void queue_work(Runnable work);
}
