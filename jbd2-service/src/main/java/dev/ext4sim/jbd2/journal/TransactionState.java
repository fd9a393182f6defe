package dev.ext4sim.jbd2.journal;

/** {@code enum { T_RUNNING, T_LOCKED, … }} of include/linux/jbd2.h, in the order a transaction goes through them. */
public enum TransactionState {
    /** Open: handles join it. */
    T_RUNNING,
    /** Commit started: no new handle joins; waiting for the open ones to stop. */
    T_LOCKED,
    /** All handles stopped: reserved buffers refiled, the revoke table switched. */
    T_SWITCH,
    /** The committing transaction: ordered data written and waited (a new running transaction may start). */
    T_FLUSH,
    /** Descriptor and metadata blocks going into the log. */
    T_COMMIT,
    /** All log I/O submitted, ordered data waited. */
    T_COMMIT_DFLUSH,
    /** Log blocks waited; the commit block written with PREFLUSH|FUA. */
    T_COMMIT_JFLUSH,
    /** Durable: j_commit_sequence = tid; commit callbacks run. */
    T_COMMIT_CALLBACK,
    /** Only on the checkpoint list until its blocks reach home. */
    T_FINISHED
}
