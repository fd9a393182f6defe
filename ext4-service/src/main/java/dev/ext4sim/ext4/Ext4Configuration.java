package dev.ext4sim.ext4;

import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.ext4.AioCalls;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.block.PowerOnFence;
import dev.ext4sim.bus.crash.CrashPoints;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.kafka.KafkaBus;
import dev.ext4sim.bus.spring.CallRegistration;
import dev.ext4sim.bus.spring.EventSubscription;
import dev.ext4sim.bus.trace.TraceClock;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.bus.writeback.WritebackCalls;
import dev.ext4sim.ext4.fs.Ext4CrashPoints;
import dev.ext4sim.ext4.remote.BusBlockPort;
import dev.ext4sim.ext4.remote.BusWriteback;
import dev.ext4sim.ext4.remote.Ext4Metrics;
import dev.ext4sim.ext4.remote.Ext4Properties;
import dev.ext4sim.ext4.remote.Ext4Server;
import dev.ext4sim.ext4.remote.Ext4Service;
import dev.ext4sim.ext4.remote.JournalPump;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Random;
import java.util.UUID;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;

/**
 * Puts the ext4 core on the bus: blk_submit for its I/O, the journal pump to jbd2, writeback's events and limits, the
 * Ext4Calls and the ordered-data callback; mounts once the application is ready, unmounts when it closes (before the
 * bus stops, so the final sync and journal flush still reach jbd2 and blockdev).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(Ext4Properties.class)
class Ext4Configuration {

    @Bean
    TraceClock traceClock() {
        return TraceClock.since(TraceClock.bootEpochNanos());
    }

    @Bean
    JournalPump journalPump(CallClient client, Ext4Properties props, TraceClock clock) {
        // a mount id per process: a restarted ext4 makes jbd2 flush its predecessor's journal before it reads
        return new JournalPump(client, new JournalPump.Settings(props.dev(), UUID.randomUUID().toString(),
                props.journalTimeout(), props.mountRetry(), props.journalQueue(), props.journalLinger()), clock);
    }

    @Bean
    BusWriteback busWriteback(KafkaBus bus, CallClient client, Ext4Properties props, TraceClock clock) {
        return new BusWriteback(bus.events(), client, props.dev(), clock, props.writebackTimeout());
    }

    /** Armed over REST (/v1/crash-points); unarmed, a hit costs a map lookup. */
    @Bean
    CrashPoints crashPoints(KafkaBus bus) {
        return new CrashPoints(Ext4CrashPoints.points(bus.tracer().profile()), new Random(), CrashPoints.halt());
    }

    /** The device's power-on, from blockdev's completions and jbd2's journal loads: a power cut takes ext4 down. */
    @Bean
    PowerOnFence powerOnFence(JournalPump pump) {
        PowerOnFence fence = new PowerOnFence(PowerOnFence.haltService("ext4-service"));
        pump.onLoaded(l -> fence.check(l.powerOn(), "jbd2-service's load of the journal"));
        return fence;
    }

    @Bean
    Ext4Service ext4Service(KafkaBus bus, CallClient client, Ext4Properties props, JournalPump pump, BusWriteback writeback,
                            Tracer tracer, TraceClock clock, CrashPoints crashPoints, PowerOnFence fence) {
        Ext4Service service = new Ext4Service(props.dev(), new BusBlockPort(client, props.dev(), props.ioTimeout(), fence),
                pump, writeback, tracer, clock, props.mountRetry(), props.timeGranularity(), crashPoints::hit);
        service.pageCacheLimit(props.pageCacheSize().toBytes());
        service.kiComplete(c -> bus.events().publish(AioCalls.AIO_COMPLETE, Integer.toString(c.task().pid()),
                new AioCalls.Completed(c.task().pid(), c.id(), c.res()), new TraceContext(c.traceId(), c.task())));
        service.mountOptions(props.parsedMountOptions());
        return service;
    }

    /** Healthy once the filesystem is mounted: `./ext4sim up` is ready only when open(2) can work. */
    @Bean
    HealthIndicator mount(Ext4Service service, Ext4Properties props) {
        return () -> service.mount() != null
                ? Health.up().withDetail("mounted", props.dev()).build()
                : Health.down().withDetail("waiting", "to mount " + props.dev() + ": blockdev-service and jbd2-service"
                        + " must answer (see the log of ext4-service)").build();
    }

    @Bean
    Ext4Metrics ext4Metrics(MeterRegistry registry, Ext4Properties props, Ext4Service service) {
        return new Ext4Metrics(registry, props.dev(), service::mount, service::journal);
    }

    @Bean
    CallRegistration ext4Calls(Ext4Properties props, Ext4Service service, JournalPump pump, Ext4Metrics metrics) {
        return server -> new Ext4Server(props.dev(), service::mount, pump, metrics).register(server);
    }

    @Bean
    EventSubscription ext4Events(JournalPump pump, BusWriteback writeback) {
        return events -> events.subscribe(Jbd2Calls.LOADED, (loaded, ctx) -> pump.loadedElsewhere(loaded))
                .subscribe(WritebackCalls.DIRTY_LIMITS, (limits, ctx) -> writeback.limits(limits));
    }

    @EventListener(ApplicationReadyEvent.class)
    void mountAtStart(ApplicationReadyEvent e) {
        Ext4Service service = e.getApplicationContext().getBean(Ext4Service.class);
        Ext4Properties props = e.getApplicationContext().getBean(Ext4Properties.class);
        e.getApplicationContext().getBean(BusWriteback.class).fetchLimits(props.mountRetry());
        service.start();
    }

    @EventListener(ContextClosedEvent.class)
    void unmountAtClose(ContextClosedEvent e) {
        Ext4Properties props = e.getApplicationContext().getBean(Ext4Properties.class);
        e.getApplicationContext().getBean(Ext4Service.class).stop(props.unmountTimeout());
    }
}
