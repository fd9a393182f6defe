package dev.ext4sim.bus.spring;

import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.crash.CrashPoints;
import dev.ext4sim.bus.kafka.KafkaBus;
import dev.ext4sim.bus.ping.Ping;
import dev.ext4sim.bus.ping.PingService;
import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.Tracer;
import java.util.List;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Puts every ext4sim service on the bus: one {@link KafkaBus} named after {@code ext4sim.service}, its calls from
 * the {@link CallRegistration} beans, the ping hop, and a health indicator that is UP once calls are served.
 */
@AutoConfiguration
public class BusAutoConfiguration {

    @Bean(destroyMethod = "")
    KafkaBus kafkaBus(@Value("${ext4sim.service:${spring.application.name}}") String service,
                      @Value("${spring.kafka.bootstrap-servers:127.0.0.1:9092}") String bootstrap,
                      @Value("${ext4sim.kernel:4.x}") String kernel) {
        return new KafkaBus(service, bootstrap, KernelProfile.parse(kernel));
    }

    @Bean
    CallClient callClient(KafkaBus bus) {
        return bus.client();
    }

    @Bean
    Tracer tracer(KafkaBus bus) {
        return bus.tracer();
    }

    @Bean
    BusLifecycle busLifecycle(KafkaBus bus, List<CallRegistration> registrations,
                              List<EventSubscription> subscriptions,
                              @Value("${spring.kafka.bootstrap-servers:127.0.0.1:9092}") String bootstrap) {
        return new BusLifecycle(bus, registrations, subscriptions, bootstrap);
    }

    @Bean
    PingService pingService(KafkaBus bus, @Value("${ext4sim.ping.next:}") String next) {
        return new PingService(bus.service(), Optional.of(next).filter(s -> !s.isBlank()), bus.client(),
                bus.tracer(), Time.SYSTEM);
    }

    @Bean
    CallRegistration pingCall(PingService ping) {
        return server -> server.register(Ping.CALL, ping::handle);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    static class BusHealth {
        @Bean
        HealthIndicator bus(KafkaBus bus) {
            return () -> bus.ready()
                    ? Health.up().withDetail("serves", bus.service()).build()
                    : Health.down().withDetail("waiting", "for the Kafka broker and the assignment of "
                            + dev.ext4sim.bus.call.Topics.calls(bus.service())).build();
        }
    }

    /** The admin token's check on the admin and fault calls, in a service that serves HTTP. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "jakarta.servlet.Filter")
    static class AdminToken {
        @Bean
        AdminTokenFilter adminTokenFilter(@Value("${ext4sim.admin.token:}") String token) {
            return new AdminTokenFilter(token);
        }
    }

    /** The crash points' REST calls, in a service that has crash points and serves HTTP. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.web.bind.annotation.RestController")
    @ConditionalOnBean(CrashPoints.class)
    static class CrashPointsWeb {
        @Bean
        CrashPointsController crashPointsController(CrashPoints crashPoints) {
            return new CrashPointsController(crashPoints);
        }
    }
}
