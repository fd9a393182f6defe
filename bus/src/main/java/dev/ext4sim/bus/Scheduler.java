package dev.ext4sim.bus;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Runs a task after a delay; injected so that deadline expiry is driven by a test's clock. */
public interface Scheduler {

    interface Cancellable {
        void cancel();
    }

    Cancellable schedule(Duration delay, Runnable task);

    /** One daemon timer thread; the tasks it runs are short (completing a future). */
    static Scheduler system(String threadName) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        return (delay, task) -> {
            var future = timer.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
            return () -> future.cancel(false);
        };
    }
}
