package dev.ext4sim.bus.call;

import java.util.UUID;

/**
 * A record that is not a well-formed request or reply. Carries the id and reply topic when they could be read,
 * so the sender still gets an error instead of waiting for its deadline.
 */
public class MalformedEnvelopeException extends Exception {
    private final UUID id;
    private final String replyTo;

    public MalformedEnvelopeException(String reason, UUID id, String replyTo) {
        super(reason, null, false, false);
        this.id = id;
        this.replyTo = replyTo;
    }

    public UUID id() {
        return id;
    }

    public String replyTo() {
        return replyTo;
    }

    public boolean answerable() {
        return id != null && replyTo != null;
    }
}
