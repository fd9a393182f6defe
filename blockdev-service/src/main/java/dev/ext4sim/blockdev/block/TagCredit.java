package dev.ext4sim.blockdev.block;

/**
 * When the next command on a freed tag reaches the device. The simulation delivers completions later than their due
 * time (a timer wake-up and a thread hand-off, more on a busy 2-core host); that lateness is the simulation's, not the
 * device's, so the next command on the freed tag is credited with it: it arrives as if the completion had been on time.
 *
 * <p>The time between the tag's release and its next command is the host's turnaround. A submitter that slept in
 * blk_mq_get_tag when the tag was freed was ready all along: its turnaround is the simulation's hand-off (a kernel's
 * wake-up takes microseconds, a busy JVM's may take milliseconds) and is credited. A host that re-issues within
 * {@link #TURNAROUND_NANOS} (a pipelining submitter such as fio or the flusher) is credited too; one that thinks
 * longer pays for its thinking. The credit never exceeds {@link #MAX_CREDIT_NANOS}, and a command never arrives before
 * the device finished the tag's previous one, so the device never runs faster than its model. Not thread-safe: the
 * block layer calls it under its tag lock.
 */
final class TagCredit {
    /** The most lateness credited back to a command; beyond it, the host is slow, not the simulation. */
    static final long MAX_CREDIT_NANOS = 2_000_000;
    /** A host that re-issues on a freed tag within this time is pipelining, not thinking. */
    static final long TURNAROUND_NANOS = 200_000;

    /** Per tag: when the completion that freed it was processed, how late after its due time, whether one waited. */
    private final long[] freedAt;
    private final long[] lateness;
    private final long[] deadline;
    private final boolean[] wanted;

    TagCredit(int tags) {
        freedAt = new long[tags];
        lateness = new long[tags];
        deadline = new long[tags];
        wanted = new boolean[tags];
    }

    /** The command on {@code tag}, due at {@code due}, completed at {@code now}; {@code waiters}: submitters asleep. */
    void freed(int tag, long now, long due, boolean waiters) {
        freedAt[tag] = now;
        lateness[tag] = Math.max(0, now - due);
        deadline[tag] = due;
        wanted[tag] = waiters;
    }

    /** When a command issued on {@code tag} at {@code now} reaches the device. */
    long arrival(int tag, long now) {
        long freed = freedAt[tag];
        freedAt[tag] = 0;
        if (freed == 0) {
            return now;
        }
        long turnaround = now - freed;
        long credit = lateness[tag] + (wanted[tag] || turnaround <= TURNAROUND_NANOS ? turnaround : 0);
        // never before the device finished the tag's previous command: a completion signalled early (the timer is
        // armed early by its measured wake-up latency) does not let the host outrun the device
        return Math.max(now - Math.min(credit, MAX_CREDIT_NANOS), deadline[tag]);
    }
}
