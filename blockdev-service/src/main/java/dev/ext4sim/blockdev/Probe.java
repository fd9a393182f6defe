package dev.ext4sim.blockdev;

import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.kafka.KafkaBus;
import dev.ext4sim.bus.trace.TraceContext;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.SmartLifecycle;

/**
 * Boot: once the bus serves (so the probe's tracepoints and the announcement reach Kafka), runs the ufshcd probe and
 * announces the disk on the events topic, retrying until the broker took it. Health is UP once the disk is announced.
 * On a clean stop the device's cache is flushed, as sd_shutdown does with SYNCHRONIZE CACHE.
 */
final class Probe implements SmartLifecycle, HealthIndicator {
    private static final Logger log = LoggerFactory.getLogger(Probe.class);

    private final Blockdev blockdev;
    private final KafkaBus bus;
    private volatile boolean running;
    private volatile boolean announced;
    private volatile String problem = "waiting for the bus";
    private Thread thread;

    Probe(Blockdev blockdev, KafkaBus bus) {
        this.blockdev = blockdev;
        this.bus = bus;
    }

    @Override
    public void start() {
        running = true;
        thread = Thread.ofVirtual().name("ufshcd-probe").start(this::run);
    }

    private void run() {
        try {
            while (running && !bus.ready()) {
                Thread.sleep(50); // polling pace for a condition with no event to wait on
            }
            if (!running) {
                return;
            }
            problem = "probing";
            BlockIo.DeviceAdded added = blockdev.probe(TraceContext.newTraceId());
            log.info("ufshcd probe took {} us: {} ({},{}) with {} of {} sectors, profile {}", added.probeUs(), added.disk(),
                    added.major(), added.minor(), added.partitions(), added.capacitySectors(), added.profile());
            problem = "announcing the device";
            while (running) {
                try {
                    bus.events().publish(BlockIo.DEVICE_ADDED, added.disk(), added, null).get(10, TimeUnit.SECONDS);
                    announced = true;
                    log.info("announced {} (bdi {}) on the events topic", added.disk(), added.bdi());
                    return;
                } catch (Exception e) {
                    problem = "could not announce the device: " + e.getMessage();
                    log.warn("{}; retrying", problem);
                    Thread.sleep(500); // retry pacing
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            problem = "probe failed: " + e.getMessage();
            log.error("ufshcd probe failed", e);
        }
    }

    @Override
    public Health health() {
        return announced
                ? Health.up().withDetail("disk", "sda").withDetail("profile", blockdev.device().profile().name()).build()
                : Health.down().withDetail("ufshcd", problem).build();
    }

    @Override
    public void stop() {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
        int n = blockdev.shutdown();
        log.info("clean stop: SYNCHRONIZE CACHE wrote {} cached blocks to the image", n);
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 1000; // after the bus starts, and stopped before it
    }
}
