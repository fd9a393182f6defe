package dev.ext4sim.vfs;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** fs/open.c, read_write.c, namei.c, sync.c: processes, fd tables and the path walk. */
@SpringBootApplication
public class VfsApplication {
    public static void main(String[] args) {
        SpringApplication.run(VfsApplication.class, args);
    }
}
