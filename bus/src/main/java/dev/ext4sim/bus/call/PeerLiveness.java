package dev.ext4sim.bus.call;

import java.util.Optional;

/**
 * Whether any instance of a service is consuming its call topic. Asked only when a call has run out of time, to
 * tell a dead peer (EIO, start it) from a slow one (ETIMEDOUT).
 */
public interface PeerLiveness {
    PeerLiveness UNKNOWN = service -> Optional.empty();

    /** Empty when it cannot be told (the broker did not answer in time). */
    Optional<Boolean> isAlive(String service);
}
