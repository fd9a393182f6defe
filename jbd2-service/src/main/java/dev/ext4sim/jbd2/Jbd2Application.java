package dev.ext4sim.jbd2;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** fs/jbd2: one journal per filesystem, handles, transactions, the kjournald2 commit loop, checkpoint, recovery. */
@SpringBootApplication
public class Jbd2Application {
    public static void main(String[] args) {
        SpringApplication.run(Jbd2Application.class, args);
    }
}
