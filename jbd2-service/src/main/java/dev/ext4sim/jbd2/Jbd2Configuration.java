package dev.ext4sim.jbd2;

import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.block.PowerOnFence;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.crash.CrashPoints;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.writeback.WritebackCalls;
import dev.ext4sim.bus.kafka.KafkaBus;
import dev.ext4sim.bus.spring.CallRegistration;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.jbd2.journal.Jbd2CrashPoints;
import dev.ext4sim.jbd2.journal.JournalConfig;
import dev.ext4sim.jbd2.remote.Jbd2Server;
import dev.ext4sim.jbd2.remote.JournalHost;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Random;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the journal ({@link JournalHost}) to the bus: blk_submit for its I/O, ext4's ordered-data call, the
 * jbd2_journal_loaded event, the {@link Jbd2Calls} handlers and the metrics.
 *
 * <p>After a restart this service serves the call records its dead predecessor left unanswered (it does not
 * {@code serveOnlyNewCalls}, unlike blockdev): every one of them either is a LOAD, idempotent and answered with
 * the new epoch, or carries the old epoch and is refused with ESTALE before it touches the journal; calls whose
 * callers stopped waiting are skipped by their deadline. An immediate ESTALE tells a still-waiting ext4 to load
 * again sooner than a timeout would.
 */
@Configuration(proxyBeanMethods = false)
class Jbd2Configuration {

    @Bean
    Jbd2Metrics jbd2Metrics(MeterRegistry registry, Jbd2Properties props, ObjectProvider<JournalHost> host) {
        return new Jbd2Metrics(registry, props.journalConfig(), host::getIfAvailable);
    }

    /** Armed over REST (/v1/crash-points); unarmed, a hit costs a map lookup. */
    @Bean
    CrashPoints crashPoints() {
        return new CrashPoints(Jbd2CrashPoints.POINTS, new Random(), CrashPoints.halt());
    }

    @Bean(destroyMethod = "close")
    JournalHost journalHost(Jbd2Properties props, KafkaBus bus, CallClient client, Tracer tracer, Jbd2Metrics metrics,
                            CrashPoints crashPoints) {
        JournalConfig config = props.journalConfig();
        Task thread = new Task(config.threadName(), config.threadPid());
        JournalHost host = new JournalHost(new JournalHost.Settings(props.dev(), config, props.handleLease()), Time.SYSTEM,
                Scheduler.system("jbd2-timers"), tracer, new BusBlockIoPort(client, props.ioTimeout(), thread,
                        new PowerOnFence(PowerOnFence.haltService("jbd2-service"))),
                new BusOrderedData(client, props.dev(), props.orderedDataTimeout(), thread, crashPoints), metrics,
                metrics::leaseExpired,
                loaded -> bus.events().publish(Jbd2Calls.LOADED, loaded.dev(), loaded, TraceContext.of(thread)),
                crashPoints);
        host.onBdevDirtied(e -> bus.events().publish(WritebackCalls.INODE_DIRTIED, e.dev(), e, null));
        return host;
    }

    @Bean
    CallRegistration jbd2Calls(JournalHost host) {
        return server -> new Jbd2Server(host).register(server);
    }

    @Bean
    @ConditionalOnProperty(prefix = "ext4sim.jbd2", name = "recover-at-start", havingValue = "true", matchIfMissing = true)
    RecoveryAtStart recoveryAtStart(KafkaBus bus, JournalHost host) {
        return new RecoveryAtStart(bus, host);
    }
}
