package dev.ext4sim.writeback;

import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.spring.EventSubscription;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Listens for block devices on the events topic and lists their bdi_writebacks at GET /v1/writeback/bdi. */
@Configuration(proxyBeanMethods = false)
class BdiConfiguration {
    private static final Logger log = LoggerFactory.getLogger(BdiConfiguration.class);

    @Bean
    BdiList bdiList() {
        return new BdiList();
    }

    @Bean
    EventSubscription deviceAdded(BdiList bdis) {
        return events -> events.subscribe(BlockIo.DEVICE_ADDED, (device, trace) -> {
            BdiList.BdiWriteback wb = bdis.register(device);
            log.info("bdi {} registered for {} ({},{}): bdi_writeback with delayed work {}", wb.bdi(), wb.disk(),
                    wb.major(), wb.minor(), wb.dwork());
        });
    }

    @RestController
    static class BdiController {
        private final BdiList bdis;

        BdiController(BdiList bdis) {
            this.bdis = bdis;
        }

        @GetMapping("/v1/writeback/bdi")
        List<BdiList.BdiWriteback> bdis() {
            return bdis.list();
        }
    }
}
