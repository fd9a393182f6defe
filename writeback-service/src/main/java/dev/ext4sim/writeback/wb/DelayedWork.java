package dev.ext4sim.writeback.wb;

import dev.ext4sim.bus.Scheduler;
import java.time.Duration;
import java.util.Objects;

/**
 * struct delayed_work (kernel/workqueue.c): a work item with a timer. Queued work is pending until it starts; a
 * work item never runs concurrently with itself, and queueing it while it runs makes it run once more afterwards.
 * queue_delayed_work leaves an already pending item alone; mod_delayed_work takes it back and re-queues it with
 * the new delay (0 = now).
 */
public final class DelayedWork {
    private final Runnable func;
    private final Workqueue wq;
    private final Scheduler scheduler;
    private Scheduler.Cancellable timer;
    private boolean pending;   // queued to run (WORK_STRUCT_PENDING without the timer)
    private boolean submitted; // a runner is in the workqueue
    private boolean running;

    /** INIT_DELAYED_WORK(&dwork, func). */
    public DelayedWork(Runnable func, Workqueue wq, Scheduler scheduler) {
        this.func = Objects.requireNonNull(func);
        this.wq = Objects.requireNonNull(wq);
        this.scheduler = Objects.requireNonNull(scheduler);
    }

    /** False when the work was already pending (on the timer or queued). */
    public boolean queue_delayed_work(Duration delay) {
        Runnable submit;
        synchronized (this) {
            if (timer != null || pending) {
                return false;
            }
            submit = arm(delay);
        }
        run(submit);
        return true;
    }

    /** Re-arms: a pending timer or queued run is taken back and the work queued again after {@code delay}. */
    public void mod_delayed_work(Duration delay) {
        Runnable submit;
        synchronized (this) {
            cancelTimer();
            pending = false;
            submit = arm(delay);
        }
        run(submit);
    }

    /** cancel_delayed_work: drops the timer and a queued run; a run in progress finishes. */
    public synchronized boolean cancel_delayed_work() {
        boolean was = timer != null || pending;
        cancelTimer();
        pending = false;
        return was;
    }

    public synchronized boolean delayed_work_pending() {
        return timer != null || pending;
    }

    public synchronized boolean timerArmed() {
        return timer != null;
    }

    public synchronized boolean running() {
        return running;
    }

    private Runnable arm(Duration delay) {
        if (delay.isZero() || delay.isNegative()) {
            return queueNow();
        }
        Scheduler.Cancellable[] self = new Scheduler.Cancellable[1];
        self[0] = scheduler.schedule(delay, () -> {
            Runnable submit;
            synchronized (this) {
                if (timer != self[0]) {
                    return; // cancelled or replaced while firing
                }
                timer = null;
                submit = queueNow();
            }
            run(submit);
        });
        timer = self[0];
        return null;
    }

    /** Marks pending; returns the runner to hand to the workqueue, outside the lock, unless one is there already. */
    private Runnable queueNow() {
        pending = true;
        if (running || submitted) {
            return null;
        }
        submitted = true;
        return this::process_one_work;
    }

    private void run(Runnable submit) {
        if (submit != null) {
            wq.queue_work(submit);
        }
    }

    private void process_one_work() {
        synchronized (this) {
            submitted = false;
            if (!pending || running) {
                return;
            }
            running = true;
        }
        try {
            while (true) {
                synchronized (this) {
                    if (!pending) {
                        return;
                    }
                    pending = false;
                }
                func.run();
            }
        } finally {
            synchronized (this) {
                running = false;
                if (!submitted) {
                    pending = false; // only after a func that threw: a later queueing must not find it stuck pending
                }
            }
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }
}
