package dev.ext4sim.ext4;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** fs/ext4 and the page cache of its inodes: mounted filesystems, inodes, extents, mballoc, delalloc. */
@SpringBootApplication
public class Ext4Application {
    public static void main(String[] args) {
        SpringApplication.run(Ext4Application.class, args);
    }
}
