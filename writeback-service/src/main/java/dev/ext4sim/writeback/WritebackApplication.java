package dev.ext4sim.writeback;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/** fs/fs-writeback.c and mm/page-writeback.c: one bdi_writeback per device and its wb_workfn. */
@SpringBootApplication
@EnableConfigurationProperties(WritebackProperties.class)
public class WritebackApplication {
    public static void main(String[] args) {
        SpringApplication.run(WritebackApplication.class, args);
    }
}
