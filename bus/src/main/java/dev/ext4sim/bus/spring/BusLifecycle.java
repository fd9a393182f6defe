package dev.ext4sim.bus.spring;

import dev.ext4sim.bus.kafka.KafkaBus;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the bus once the application is up, retrying while the broker is unreachable: a service that starts
 * before Kafka, or outlives it briefly, waits and reports DOWN on its health endpoint instead of exiting.
 */
final class BusLifecycle implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(BusLifecycle.class);

    private final KafkaBus bus;
    private final List<CallRegistration> registrations;
    private final List<EventSubscription> subscriptions;
    private final String bootstrap;
    private volatile boolean running;
    private Thread starter;

    BusLifecycle(KafkaBus bus, List<CallRegistration> registrations, List<EventSubscription> subscriptions,
                 String bootstrap) {
        this.bus = bus;
        this.registrations = registrations;
        this.subscriptions = subscriptions;
        this.bootstrap = bootstrap;
    }

    @Override
    public void start() {
        registrations.forEach(r -> r.register(bus.server()));
        subscriptions.forEach(s -> s.subscribe(bus.events()));
        running = true;
        starter = Thread.ofVirtual().name(bus.service() + "-bus-start").start(this::startWithRetry);
    }

    private void startWithRetry() {
        long began = System.nanoTime();
        long lastComplaint = 0;
        while (running) {
            try {
                bus.start(Duration.ofSeconds(10));
                log.info("{} on the bus at {} after {} ms", bus.service(), bootstrap, (System.nanoTime() - began) / 1_000_000);
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() - lastComplaint > 5_000_000_000L) {
                    log.warn("{} waits for the Kafka broker at {} ({}); start it with ./ext4sim up",
                            bus.service(), bootstrap, e.getMessage());
                    lastComplaint = System.nanoTime();
                }
                try {
                    Thread.sleep(500); // retry pacing, not synchronisation
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    @Override
    public void stop() {
        running = false;
        if (starter != null) {
            starter.interrupt();
        }
        bus.close();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
