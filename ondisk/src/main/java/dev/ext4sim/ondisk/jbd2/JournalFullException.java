package dev.ext4sim.ondisk.jbd2;

/** A transaction does not fit the free log space; checkpoint first, or split it. Nothing was written. */
public final class JournalFullException extends IllegalStateException {
    public JournalFullException(String message) {
        super(message);
    }
}
