package dev.ext4sim.bus;

import java.util.Objects;

/**
 * A failed system call or bus call: an errno and a sentence that says what went wrong and what to do.
 * Thrown by kernel logic and by the bus alike, and turned into problem+json at the REST edge.
 */
public class ErrnoException extends RuntimeException {
    private final Errno errno;
    private final String detail;

    public ErrnoException(Errno errno, String detail) {
        this(errno, detail, null);
    }

    public ErrnoException(Errno errno, String detail, Throwable cause) {
        super(errno.name() + ": " + detail, cause, false, cause != null);
        this.errno = Objects.requireNonNull(errno);
        this.detail = Objects.requireNonNull(detail);
    }

    public Errno errno() {
        return errno;
    }

    public String detail() {
        return detail;
    }
}
