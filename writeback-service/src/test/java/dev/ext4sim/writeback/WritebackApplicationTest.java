package dev.ext4sim.writeback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.ext4sim.writeback.wb.Sysctl;
import dev.ext4sim.writeback.wb.Writeback;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.context.WebApplicationContext;

/**
 * The service starts without a broker (the bus keeps retrying in the background): the core is built with the
 * configured sysctls, the metrics are registered and the REST view answers.
 */
@SpringBootTest(properties = {
        "spring.kafka.bootstrap-servers=127.0.0.1:1",
        "ext4sim.writeback.dirty-ratio=30",
        "ext4sim.writeback.dirty-background-bytes=8388608",
        "logging.level.org.apache.kafka=OFF"})
@DirtiesContext // its bus keeps retrying a broker that is not there: close it after the test
class WritebackApplicationTest {
    @Autowired
    Writeback writeback;
    @Autowired
    MeterRegistry registry;
    @Autowired
    WebApplicationContext context;

    @Test
    void startsWithTheConfiguredSysctlsMetricsAndRest() throws Exception {
        assertThat(writeback.sysctl().get(Sysctl.DIRTY_RATIO)).isEqualTo(30);
        assertThat(writeback.sysctl().get(Sysctl.DIRTY_BACKGROUND_BYTES)).isEqualTo(8_388_608);
        assertThat(writeback.sysctl().get(Sysctl.DIRTY_BACKGROUND_RATIO)).isZero(); // the bytes replaced it
        assertThat(writeback.sysctl().get(Sysctl.DIRTY_EXPIRE_CENTISECS)).isEqualTo(3000);

        assertThat(registry.get("node.vmstat.nr_dirty").gauge().value()).isZero();
        assertThat(registry.get("node.vmstat.nr_dirty_background_threshold").gauge().value()).isEqualTo(2048);
        assertThat(registry.get("writeback.works").tag("reason", "periodic").counter().count()).isZero();
        assertThat(registry.get("node.vmstat.nr_written").functionCounter()).isNotNull();
        assertThat(registry.get("writeback.balance_dirty_pages.pause").timer()).isNotNull();

        MockMvcBuilders.webAppContextSetup(context).build().perform(get("/v1/writeback/bdi"))
                .andExpect(status().isOk()).andExpect(content().json("[]"));
    }
}
