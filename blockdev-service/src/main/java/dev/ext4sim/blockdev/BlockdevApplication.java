package dev.ext4sim.blockdev;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/** The block layer, scsi and drivers/ufs: the request queue and the emulated device on top of the image file. */
@SpringBootApplication
@EnableConfigurationProperties(BlockdevProperties.class)
public class BlockdevApplication {
    public static void main(String[] args) {
        SpringApplication.run(BlockdevApplication.class, args);
    }
}
