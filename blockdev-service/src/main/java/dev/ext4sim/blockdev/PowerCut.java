package dev.ext4sim.blockdev;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin power cut: the volatile cache is dropped at once, then the process halts (no shutdown hook runs, so
 * nothing is flushed), a moment after the reply left. Exit status 137, as after SIGKILL.
 */
final class PowerCut {
    private static final Logger log = LoggerFactory.getLogger(PowerCut.class);
    static final Duration REPLY_GRACE = Duration.ofMillis(300);

    private final Blockdev blockdev;

    PowerCut(Blockdev blockdev) {
        this.blockdev = blockdev;
    }

    /** Called after {@link Blockdev#powerCut()}: lets the reply go out, then halts. */
    void exitSoon() {
        Thread.ofVirtual().name("power-cut").start(() -> {
            log.warn("power cut: the volatile write cache is lost; exiting");
            try {
                Thread.sleep(REPLY_GRACE); // time for the reply to leave, not synchronisation
            } catch (InterruptedException ignored) {
                // halt anyway
            }
            Runtime.getRuntime().halt(137);
        });
    }

    int cut() {
        int lost = blockdev.powerCut();
        exitSoon();
        return lost;
    }
}
