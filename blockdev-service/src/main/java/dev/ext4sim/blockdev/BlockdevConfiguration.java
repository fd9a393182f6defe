package dev.ext4sim.blockdev;

import dev.ext4sim.blockdev.ufs.UfsCrashPoints;
import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.crash.CrashPoints;
import dev.ext4sim.bus.kafka.KafkaBus;
import dev.ext4sim.bus.spring.CallRegistration;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ondisk.ImageFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the kernel side ({@link Blockdev}) to the image file, the clock and the bus. */
@Configuration(proxyBeanMethods = false)
class BlockdevConfiguration {
    private static final Logger log = LoggerFactory.getLogger(BlockdevConfiguration.class);

    @Bean(destroyMethod = "close")
    ImageFile imageFile(BlockdevProperties props) {
        Path path = props.image().toAbsolutePath();
        long size = props.imageSize().toBytes();
        try {
            if (Files.exists(path)) {
                long bytes = Files.size(path);
                if (bytes == 0 || bytes % 4096 != 0) {
                    throw new IllegalStateException("image " + path + " is " + bytes + " bytes, not a positive multiple of"
                            + " the 4096-byte logical block; remove it (a blank one is created) or fix ext4sim.blockdev.image");
                }
                log.info("sda is {} ({} MiB)", path, bytes >> 20);
                return ImageFile.open(path, 4096);
            }
            Files.createDirectories(path.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare image " + path + ": " + e.getMessage(), e);
        }
        log.info("sda is a new blank sparse image {} ({} MiB)", path, size >> 20);
        return ImageFile.create(path, size, 4096);
    }

    /** Armed over REST (/v1/crash-points); unarmed, a hit costs a map lookup. */
    @Bean
    CrashPoints crashPoints() {
        return new CrashPoints(UfsCrashPoints.POINTS, new Random(), CrashPoints.halt());
    }

    @Bean
    Blockdev blockdev(BlockdevProperties props, ImageFile image, Tracer tracer, CrashPoints crashPoints) {
        Blockdev blockdev = new Blockdev(new Blockdev.Config(props.profile(), props.partitionStartSector(), props.destageAge(),
                props.destageInterval(), props.tracing(), props.cacheSize().toBytes(), props.interruptAggregation()),
                image, image.path().toString(), Time.SYSTEM, Scheduler.system("ufshcd-irq"), nanos -> sleep(nanos),
                new Random(), Runnable::run, Executors.newVirtualThreadPerTaskExecutor(), new Trace(tracer, props.tracing()));
        blockdev.device().crashPoints(crashPoints::hit);
        return blockdev;
    }

    private static void sleep(long nanos) {
        try {
            Thread.sleep(java.time.Duration.ofNanos(nanos)); // the probe's simulated hardware delays
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Bean
    Probe probe(Blockdev blockdev, KafkaBus bus) {
        // A disk that was off does not execute the commands sent to its predecessor: replaying an old write after a
        // power cut could overwrite newer data. Their callers time out and retry.
        bus.serveOnlyNewCalls();
        return new Probe(blockdev, bus);
    }

    @Bean
    CallRegistration blockCalls(Blockdev blockdev, PowerCut powerCut) {
        return server -> server
                .register(BlockIo.SUBMIT, (request, ctx) -> blockdev.submit(request, ctx.trace(), ctx.remaining()))
                .register(BlockIo.FINISH_PLUG, (request, ctx) -> blockdev.finishPlug(request, ctx.trace(), ctx.remaining()))
                .register(BlockIo.ADMIN, (request, ctx) -> {
                    BlockIo.AdminReply reply = blockdev.admin(request);
                    if ("power_cut".equals(request.action())) {
                        powerCut.exitSoon();
                    }
                    return reply;
                });
    }

    @Bean
    LogWritesControl logWritesControl(Blockdev blockdev, ImageFile image) {
        return new LogWritesControl(blockdev.device(), image);
    }

    @Bean
    PowerCut powerCut(Blockdev blockdev) {
        return new PowerCut(blockdev);
    }

    @Bean
    DiskMetrics diskMetrics(Blockdev blockdev) {
        return new DiskMetrics(blockdev);
    }
}
