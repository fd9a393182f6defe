package dev.ext4sim.jbd2;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.kafka.KafkaBus;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.jbd2.remote.JournalHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * A jbd2-service started while the filesystem is still marked needs_recovery took over from one that died with
 * the journal loaded: it loads and recovers at once, without waiting for ext4 to mount again, and the load
 * publishes jbd2_journal_loaded with the new epoch. Retries while the bus or blockdev-service is not there yet;
 * gives up on a device without a filesystem (EINVAL) or one it cannot read as ext4.
 */
final class RecoveryAtStart implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(RecoveryAtStart.class);
    private static final long RETRY_MILLIS = 500;

    private final KafkaBus bus;
    private final JournalHost host;
    private volatile boolean running;
    private Thread thread;

    RecoveryAtStart(KafkaBus bus, JournalHost host) {
        this.bus = bus;
        this.host = host;
    }

    @Override
    public void start() {
        running = true;
        thread = Thread.ofVirtual().name("jbd2-recovery-at-start").start(this::run);
    }

    private void run() {
        long lastComplaint = 0;
        TraceContext ctx = TraceContext.of(new Task("mount", 1));
        while (running) {
            try {
                if (bus.ready()) {
                    if (host.current().isEmpty() && host.needsRecovery()) {
                        log.info("EXT4-fs ({}): needs_recovery is set: the journal was loaded when the previous"
                                + " jbd2-service stopped; loading it now", host.settings().dev());
                        host.load(host.settings().dev(), ctx);
                    }
                    return;
                }
            } catch (ErrnoException e) {
                if (e.errno() == Errno.EINVAL) {
                    log.info("jbd2: nothing to recover at start: {}", e.getMessage());
                    return;
                }
                if (System.nanoTime() - lastComplaint > 5_000_000_000L) {
                    log.info("jbd2: cannot look at {} yet ({}); retrying", host.settings().dev(), e.getMessage());
                    lastComplaint = System.nanoTime();
                }
            } catch (RuntimeException e) {
                // a damaged filesystem or journal: retrying will not fix it; ext4's LOAD reports it to its caller
                log.warn("jbd2: could not recover {} at start; waiting for ext4 to mount it", host.settings().dev(), e);
                return;
            }
            try {
                Thread.sleep(RETRY_MILLIS); // retry pacing while the broker or blockdev-service comes up
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void stop() {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
