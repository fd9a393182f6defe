package dev.ext4sim.ext4.remote;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * jbd2-service as the pump sees it: one running transaction that takes every handle, an epoch that a "restart"
 * changes (losing the running transaction), and a gate that holds RUN_BATCH calls so tests can look at the queue.
 */
final class FakeJbd2 {
    record Batch(long epoch, List<Jbd2Calls.BatchEntry> entries, byte[] data, int tid, boolean startCommit,
                 boolean orderedDataWritten) {
    }

    private long epoch = 1;
    private int nextTid = 10;
    private int running = 10;
    private int commitSequence = 9;
    final List<Batch> batches = new ArrayList<>();
    final List<Integer> completed = new ArrayList<>();
    /** RUN_BATCH and WAIT calls in the order jbd2 served them. */
    final List<String> served = new java.util.concurrent.CopyOnWriteArrayList<>();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    /** Permits for RUN_BATCH calls; tests start it closed to hold the pump. */
    final Semaphore gate = new Semaphore(Integer.MAX_VALUE);

    void register(CallServer server) {
        server.register(Jbd2Calls.LOAD, (q, c) -> loaded())
                .register(Jbd2Calls.RUN_BATCH, (q, c) -> {
                    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                    try {
                        gate.acquire();
                        synchronized (this) {
                            if (q.epoch() != epoch) {
                                throw new ErrnoException(Errno.ESTALE, "epoch " + q.epoch() + " is not " + epoch);
                            }
                            batches.add(new Batch(q.epoch(), q.handles(), q.data(), running, q.startCommit(),
                                    q.orderedDataWritten()));
                            served.add("batch");
                            List<Integer> tids = q.handles().stream().map(e -> running).toList();
                            List<String> errors = q.handles().stream().map(e -> (String) null).toList();
                            if (q.startCommit()) {
                                commit(); // at once here; its commit block's flush comes after the batch
                                return new Jbd2Calls.BatchAck(tids, errors, commitSequence, true);
                            }
                            return new Jbd2Calls.BatchAck(tids, errors, commitSequence);
                        }
                    } finally {
                        inFlight.decrementAndGet();
                    }
                })
                .register(Jbd2Calls.WAIT, (q, c) -> {
                    synchronized (this) {
                        if (q.epoch() != epoch) {
                            throw new ErrnoException(Errno.ESTALE, "epoch " + q.epoch() + " is not " + epoch);
                        }
                        served.add(q.action());
                        Boolean barrier = null;
                        if (Jbd2Calls.COMPLETE_TRANSACTION.equals(q.action())) {
                            if (q.tid() > running) {
                                throw new ErrnoException(Errno.EINVAL, "transaction " + q.tid() + " does not exist yet");
                            }
                            completed.add(q.tid());
                            barrier = q.tid() > commitSequence; // its commit is still to come
                        }
                        commit();
                        return new Jbd2Calls.Waited(commitSequence, barrier);
                    }
                });
    }

    synchronized Jbd2Calls.Loaded loaded() {
        return new Jbd2Calls.Loaded(epoch, "sda1", nextTid, 1000, 0, 0);
    }

    /** Commits the running transaction: its tid is durable, a new one runs. */
    synchronized void commit() {
        commitSequence = running;
        running++;
        nextTid = running;
    }

    /** SIGKILL and restart: what ran is lost, recovery leaves the next tid where the log ended (+ a gap). */
    synchronized void restart() {
        epoch++;
        nextTid = commitSequence + 2;
        running = nextTid;
    }

    synchronized long epoch() {
        return epoch;
    }
}
