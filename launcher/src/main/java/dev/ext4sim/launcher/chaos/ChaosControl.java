package dev.ext4sim.launcher.chaos;

import java.time.Duration;

/**
 * The workload's brake: the runner pauses the clients between two operations to read the files back (a quiesced
 * state whose every byte the ledger knows), resumes them, and stops them at the end.
 */
final class ChaosControl {
    private boolean paused;
    private boolean stopping;
    private int active;

    /** Before an operation: waits while paused; false once stopping. */
    synchronized boolean await() {
        while (paused && !stopping) {
            waitQuietly(Duration.ofSeconds(1));
        }
        if (stopping) {
            return false;
        }
        active++;
        return true;
    }

    /** After an operation. */
    synchronized void done() {
        active--;
        notifyAll();
    }

    /** Whether a failing operation is tried again: not once the run stops. */
    synchronized boolean keepTrying() {
        return !stopping;
    }

    /** The pace of retries while a service is down. */
    void pause(Duration d) {
        synchronized (this) {
            if (stopping) {
                return;
            }
            waitQuietly(d);
        }
    }

    /** Stops new operations and waits until those under way end; false when they did not within {@code atMost}. */
    synchronized boolean quiesce(Duration atMost) {
        paused = true;
        long deadline = System.nanoTime() + atMost.toNanos();
        while (active > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            waitQuietly(Duration.ofNanos(left));
        }
        return true;
    }

    synchronized void resume() {
        paused = false;
        notifyAll();
    }

    synchronized void stop() {
        stopping = true;
        paused = false;
        notifyAll();
    }

    private void waitQuietly(Duration d) {
        try {
            wait(Math.max(1, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }
}
