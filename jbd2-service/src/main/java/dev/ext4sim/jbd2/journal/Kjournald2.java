package dev.ext4sim.jbd2.journal;

import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.crash.CrashPoints;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kjournald2}, the commit thread {@code jbd2/sda1-8}: sleeps on j_wait_commit until a commit is requested
 * (j_commit_request after j_commit_sequence) or the running transaction's timer expired, then runs
 * {@link Commit#jbd2_journal_commit_transaction}; checkpoints when committed metadata aged or the log runs low.
 */
public final class Kjournald2 {
    private static final Logger log = LoggerFactory.getLogger(Kjournald2.class);

    private final Journal j;
    private final Commit commit;
    private Thread thread;

    public Kjournald2(Journal journal) {
        this(journal, change -> {
        });
    }

    /** With the commit's crash points (Jbd2CrashPoints) reached as the committing transaction enters their states. */
    public Kjournald2(Journal journal, CrashPoints crashPoints) {
        this(journal, change -> Jbd2CrashPoints.onCommitState(crashPoints, change));
    }

    /** With {@code observer} told each state a committing transaction enters. */
    Kjournald2(Journal journal, Consumer<Commit.StateChange> observer) {
        this.j = Objects.requireNonNull(journal);
        this.commit = new Commit(journal, observer);
    }

    /** Starts the thread (a virtual thread named jbd2/sda1-8). */
    public synchronized Kjournald2 start() {
        if (thread == null) {
            thread = Thread.ofVirtual().name(j.config.threadName()).start(this::run);
        }
        return this;
    }

    /** Stops the thread after the commit in progress; waiters for later tids get EIO. */
    public void stop() {
        j.markStopping();
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            try {
                t.join(java.time.Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        while (true) {
            Work work = nextWork();
            if (work == Work.STOP) {
                return;
            }
            try {
                if (work == Work.COMMIT) {
                    commit.jbd2_journal_commit_transaction();
                    if (j.checkpoint.lowOnSpace()) {
                        j.checkpoint.jbd2_log_do_checkpoint(true);
                    }
                } else {
                    j.checkpoint.jbd2_log_do_checkpoint(false);
                }
            } catch (ErrnoException e) {
                log.error("jbd2: journal {} aborted: {}", j.config.devName(), e.getMessage());
                return;
            } catch (RuntimeException e) {
                log.error("jbd2: journal {} aborted", j.config.devName(), e);
                j.abort(new ErrnoException(dev.ext4sim.bus.Errno.EIO, e.toString(), e));
                return;
            }
        }
    }

    enum Work { COMMIT, CHECKPOINT, STOP }

    /** The wait of kjournald2's loop: what to do next. */
    private Work nextWork() {
        j.lock.lock();
        try {
            while (true) {
                if (j.aborted != null) {
                    return Work.STOP;
                }
                if (Journal.tidGt(j.commitRequest, j.commitSequence) && j.running != null
                        && j.running.tid() == j.commitRequest) {
                    return Work.COMMIT;
                }
                if (j.running != null && j.running.state == TransactionState.T_RUNNING
                        && j.time.nanoTime() >= j.running.expiresNanos) {
                    // the timer: commit the expired transaction (not counted as requested)
                    j.commitRequest = j.running.tid();
                    return Work.COMMIT;
                }
                if (j.stopping) {
                    return Work.STOP;
                }
                if (j.checkpointDue) {
                    return Work.CHECKPOINT;
                }
                j.waitCommit.awaitUninterruptibly();
            }
        } finally {
            j.lock.unlock();
        }
    }

    /** For tests driving the commit thread by hand: one commit of the running transaction, in the caller. */
    java.util.OptionalInt commitNow() {
        return commit.jbd2_journal_commit_transaction();
    }
}
