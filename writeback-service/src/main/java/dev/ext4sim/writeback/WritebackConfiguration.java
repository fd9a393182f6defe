package dev.ext4sim.writeback;

import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.kafka.KafkaBus;
import dev.ext4sim.bus.spring.CallRegistration;
import dev.ext4sim.bus.spring.EventSubscription;
import dev.ext4sim.bus.trace.TraceClock;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.writeback.wb.Jiffies;
import dev.ext4sim.writeback.wb.Sysctl;
import dev.ext4sim.writeback.wb.Writeback;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.Executors;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the writeback core ({@link Writeback}) to the bus: its flusher calls ext4 ({@link BusExt4Port}), it serves
 * and subscribes through {@link WritebackEndpoints}, registers a bdi on block_device_added, rebuilds its lists from
 * ext4 once on the bus ({@link Resync}), and reports {@link WritebackMetrics}.
 */
@Configuration(proxyBeanMethods = false)
class WritebackConfiguration {

    @Bean
    DevNames devNames() {
        return new DevNames();
    }

    @Bean
    BdiList bdiList() {
        return new BdiList();
    }

    @Bean
    WritebackMetrics writebackMetrics(MeterRegistry registry, ObjectProvider<Writeback> writeback) {
        return new WritebackMetrics(registry, writeback::getIfAvailable);
    }

    @Bean
    BusExt4Port busExt4Port(WritebackProperties props, CallClient client, DevNames names) {
        return new BusExt4Port(client, names, props.writepagesTimeout(), props.dirtyInodesTimeout());
    }

    @Bean(destroyMethod = "close")
    Writeback writeback(WritebackProperties props, BusExt4Port ext4, Tracer tracer, WritebackMetrics metrics,
                        CallClient client, DevNames names) {
        Writeback wb = new Writeback(new Writeback.Config(props.dirtyableMemory().toBytes(), Jiffies.HZ, 2, 89), ext4,
                tracer,
                // the clock the bus's Tracer stamps events with: jiffies here and in ext4 read the same instant
                TraceClock.since(TraceClock.bootEpochNanos()), Scheduler.system("wb-timers"), Writeback.kworkers(),
                metrics);
        wb.bdevPort(new BusBdevPort(client, names, props.writepagesTimeout()));
        wb.blkPlug(new BusBlkPlug(client, names, props.writepagesTimeout()));
        applySysctlDefaults(wb.sysctl(), props);
        return wb;
    }

    /** The ratios first: a non-zero *_bytes written after its ratio replaces it, as in /proc/sys. */
    static void applySysctlDefaults(Sysctl s, WritebackProperties p) {
        s.set(Sysctl.DIRTY_BACKGROUND_RATIO, p.dirtyBackgroundRatio());
        s.set(Sysctl.DIRTY_RATIO, p.dirtyRatio());
        if (p.dirtyBackgroundBytes() != 0) {
            s.set(Sysctl.DIRTY_BACKGROUND_BYTES, p.dirtyBackgroundBytes());
        }
        if (p.dirtyBytes() != 0) {
            s.set(Sysctl.DIRTY_BYTES, p.dirtyBytes());
        }
        s.set(Sysctl.DIRTY_WRITEBACK_CENTISECS, p.dirtyWritebackCentisecs());
        s.set(Sysctl.DIRTY_EXPIRE_CENTISECS, p.dirtyExpireCentisecs());
        s.set(Sysctl.DIRTYTIME_EXPIRE_SECONDS, p.dirtytimeExpireSeconds());
    }

    @Bean
    WritebackEndpoints writebackEndpoints(WritebackProperties props, Writeback writeback, DevNames names, BdiList bdis,
                                          KafkaBus bus, WritebackMetrics metrics, BusExt4Port ext4) {
        return new WritebackEndpoints(writeback, names, bdis, bus.events(), metrics::pause, props.filesystems(),
                ext4::dirtyInodes);
    }

    @Bean
    CallRegistration writebackCalls(WritebackEndpoints endpoints) {
        return endpoints::register;
    }

    @Bean
    EventSubscription writebackEvents(WritebackEndpoints endpoints) {
        return endpoints::subscribe;
    }

    @Bean
    Resync resync(WritebackProperties props, Writeback writeback, WritebackEndpoints endpoints, KafkaBus bus) {
        return new Resync(writeback, endpoints, props.filesystems(), Scheduler.system("wb-resync"),
                Executors.newVirtualThreadPerTaskExecutor(), bus::ready, props.rebuildRetry(), props.resyncInterval());
    }
}
