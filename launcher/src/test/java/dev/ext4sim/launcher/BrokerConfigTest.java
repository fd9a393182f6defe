package dev.ext4sim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker's server.properties: what a long-running stack keeps on disk is bounded. */
class BrokerConfigTest {
    @TempDir
    Path dir;

    @Test
    void everyPartitionKeepsADayAtMostAndAFewSegmentsAtMost() throws Exception {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(BrokerMain.writeConfig(dir, 9092, 9093))) {
            p.load(r);
        }
        assertThat(p.getProperty("log.retention.hours")).isEqualTo("24");
        long retention = Long.parseLong(p.getProperty("log.retention.bytes"));
        long segment = Long.parseLong(p.getProperty("log.segment.bytes"));
        long maxRecord = Long.parseLong(p.getProperty("message.max.bytes"));
        assertThat(retention).as("bounded").isPositive().isLessThanOrEqualTo(1L << 30);
        assertThat(segment).as("size retention deletes whole segments, so a partition needs several")
                .isLessThanOrEqualTo(retention / 2).isGreaterThan(maxRecord);
    }
}
