package dev.ext4sim.writeback.wb;

import dev.ext4sim.bus.trace.Task;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker of the unbound {@code writeback} workqueue (bdi_wq), {@code kworker/u16:N}: one virtual thread that runs
 * queued work items one after the other. Its task (name and pid) is fixed for its life, as a kworker's is.
 */
public final class Kworker implements Workqueue, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Kworker.class);
    private static final Runnable STOP = () -> {
    };

    private final Task task;
    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final Thread thread;

    public Kworker(Task task) {
        this.task = Objects.requireNonNull(task);
        this.thread = Thread.ofVirtual().name(task.comm()).start(this::worker_thread);
    }

    public Task task() {
        return task;
    }

    @Override
    public void queue_work(Runnable work) {
        queue.add(work);
    }

    private void worker_thread() {
        while (true) {
            Runnable work;
            try {
                work = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (work == STOP) {
                return;
            }
            try {
                work.run();
            } catch (RuntimeException e) {
                // a work item that throws must not take the worker with it
                log.error("{}: work item failed", task, e);
            }
        }
    }

    /** Lets queued work finish, then ends the thread. */
    @Override
    public void close() {
        queue.add(STOP);
        try {
            thread.join(java.time.Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
