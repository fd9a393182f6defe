package dev.ext4sim.blockdev;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/** ext4sim.blockdev.* of application.yml. */
@ConfigurationProperties("ext4sim.blockdev")
public record BlockdevProperties(Path image, DataSize imageSize, String profile, long partitionStartSector,
                                 Duration destageAge, Duration destageInterval, boolean tracing, DataSize cacheSize,
                                 Duration interruptAggregation) {
}
