package dev.ext4sim.jbd2;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/** fs/jbd2: one journal per filesystem, handles, transactions, the kjournald2 commit loop, checkpoint, recovery. */
@SpringBootApplication
@EnableConfigurationProperties(Jbd2Properties.class)
public class Jbd2Application {
    public static void main(String[] args) {
        SpringApplication.run(Jbd2Application.class, args);
    }
}
