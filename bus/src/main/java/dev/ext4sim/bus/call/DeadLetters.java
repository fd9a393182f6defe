package dev.ext4sim.bus.call;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dead-letter topic: a record this service could not serve goes there unchanged, with the reason and the
 * service in two more headers, and one log line says so.
 */
final class DeadLetters {
    private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);

    private DeadLetters() {
    }

    static void send(Transport transport, String service, Frame frame, String origin, String reason) {
        log.warn("{} dead-lettered a record from {} to {}: {}", service, origin, Topics.DEAD_LETTER, reason);
        Map<String, byte[]> headers = new LinkedHashMap<>(frame.headers());
        headers.put(CallServer.DLT_REASON, reason.getBytes(StandardCharsets.UTF_8));
        headers.put(CallServer.DLT_SERVICE, service.getBytes(StandardCharsets.UTF_8));
        transport.send(Topics.DEAD_LETTER, service, new Frame(headers, frame.value()));
    }
}
