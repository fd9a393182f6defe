package dev.ext4sim.bus.call;

import dev.ext4sim.bus.Errno;
import java.util.UUID;

/** The answer to a {@link Request}: a body on success, an errno and a detail on failure. */
public record Reply(UUID id, Errno errno, String detail, byte[] body) {

    public static Reply ok(UUID id, byte[] body) {
        return new Reply(id, null, null, body);
    }

    public static Reply error(UUID id, Errno errno, String detail) {
        return new Reply(id, errno, detail, new byte[0]);
    }

    public boolean failed() {
        return errno != null;
    }
}
