package dev.ext4sim.ext4.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.ext4.Ext4Calls;
import dev.ext4sim.bus.kafka.KafkaBus;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.testing.ServiceProcess;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.ext4.Mkfs;
import dev.ext4sim.ondisk.ext4.MkfsOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The write path for real (after jbd2-service's IT Stack, minimal copy): one embedded KRaft broker per JVM, a fresh
 * image from our mkfs per test, and the packaged blockdev-service, jbd2-service and ext4-service jars as processes.
 * The test is vfs: a bus client calling {@link Ext4Calls} as vfs-service does.
 */
final class Ext4Stack implements AutoCloseable {

    private static EmbeddedKafkaKraftBroker broker;
    private static KafkaBus vfs;

    final Path home;
    final Path image;
    final int blockdevPort = freePort();
    final int jbd2Port = freePort();
    final int ext4Port = freePort();
    Process blockdev;
    Process jbd2;
    Process ext4;
    Process writeback;
    final int writebackPort = freePort();

    static synchronized void shared() {
        if (broker != null) {
            return;
        }
        broker = new EmbeddedKafkaKraftBroker(1, 1);
        broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
        broker.brokerProperty("offsets.topic.num.partitions", "1");
        broker.brokerProperty("message.max.bytes", String.valueOf(16 << 20));
        broker.afterPropertiesSet();
        vfs = new KafkaBus("it-vfs", broker.getBrokersAsString());
        vfs.start(Duration.ofSeconds(30));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            vfs.close();
            broker.destroy();
        }));
    }

    Ext4Stack(String name, long imageBytes) throws IOException {
        shared();
        home = Files.createTempDirectory(Path.of("target"), name + "-").toAbsolutePath();
        image = home.resolve("sda.img");
        Mkfs.format(image, MkfsOptions.defaults().withSize(imageBytes));
    }

    void start() throws Exception {
        try {
            blockdev = launch("blockdev-service", Path.of("..", "blockdev-service", "target", "blockdev-service-exec.jar"),
                    List.of("--server.port=" + blockdevPort, "--ext4sim.blockdev.image=" + image,
                            "--ext4sim.blockdev.profile=instant", "--ext4sim.blockdev.destage-interval=0s",
                            "--ext4sim.blockdev.tracing=false"));
            startJbd2();
            startExt4();
            awaitHealthy("blockdev-service", blockdev, blockdevPort);
            awaitHealthy("jbd2-service", jbd2, jbd2Port);
            awaitHealthy("ext4-service", ext4, ext4Port);
            awaitMounted();
        } catch (Throwable t) {
            close();
            throw t;
        }
    }

    void startExt4() throws IOException {
        ext4 = launch("ext4-service", Path.of("target", "ext4-service-exec.jar"), List.of("--server.port=" + ext4Port));
    }

    /** SIGKILL of ext4-service, then a new one: it mounts again (the page cache of the dead one is gone). */
    void killAndRestartExt4() throws Exception {
        ext4.destroyForcibly();
        assertThat(ext4.waitFor(30, TimeUnit.SECONDS)).isTrue();
        startExt4();
        awaitHealthy("ext4-service", ext4, ext4Port);
        awaitMounted();
    }

    /** writeback-service with short expiry: the flusher writes an inode dirtied 1 s ago, looking every 0.5 s. */
    void startWriteback() throws Exception {
        writeback = launch("writeback-service", Path.of("..", "writeback-service", "target", "writeback-service-exec.jar"),
                List.of("--server.port=" + writebackPort, "--ext4sim.writeback.dirty-expire-centisecs=100",
                        "--ext4sim.writeback.dirty-writeback-centisecs=50"));
        awaitHealthy("writeback-service", writeback, writebackPort);
    }

    void startJbd2() throws IOException {
        jbd2 = launch("jbd2-service", Path.of("..", "jbd2-service", "target", "jbd2-service-exec.jar"),
                List.of("--server.port=" + jbd2Port, "--ext4sim.jbd2.commit-interval=1s"));
    }

    void restartJbd2() throws Exception {
        startJbd2();
        awaitHealthy("jbd2-service", jbd2, jbd2Port);
    }

    void killJbd2() throws InterruptedException {
        jbd2.destroyForcibly();
        assertThat(jbd2.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    /** SIGTERM, as ./ext4sim down stops it: ext4 unmounts cleanly before it exits. */
    void stopExt4() throws InterruptedException {
        ext4.destroy();
        assertThat(ext4.waitFor(60, TimeUnit.SECONDS)).as("ext4-service stops within 60 s").isTrue();
    }

    /** Power cut: blockdev's volatile write cache is lost. */
    void killBlockdev() throws InterruptedException {
        blockdev.destroyForcibly();
        assertThat(blockdev.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    /** Until ext4 answers a GETATTR of the root (it mounts after blockdev and jbd2 answer). */
    private void awaitMounted() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        TraceContext ctx = ctx("it-mount", 1);
        while (true) {
            assertThat(ext4.isAlive()).as("ext4-service exited; see " + log("ext4-service")).isTrue();
            try {
                call(Ext4Calls.GETATTR, new Ext4Calls.InodeRef("sda1", Ext4Calls.ROOT_INO), ctx, Duration.ofSeconds(5));
                return;
            } catch (ErrnoException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("ext4 did not mount within 90 s; see " + log("ext4-service"), e);
                }
                Thread.sleep(200); // polling pace of a mount wait with a deadline
            }
        }
    }

    /** blk_admin: add or clear faults of the device. */
    static void blockAdmin(BlockIo.Admin admin) {
        vfs.client().invoke(BlockIo.SERVICE, BlockIo.ADMIN, admin, Duration.ofSeconds(20), ctx("it-admin", 1));
    }

    static TraceContext ctx(String comm, int pid) {
        return new TraceContext(TraceContext.newTraceId(), new Task(comm, pid));
    }

    static <Q, R> R call(CallType<Q, R> type, Q request, TraceContext ctx, Duration timeout) {
        return vfs.client().invoke(Ext4Calls.SERVICE, type, request, timeout, ctx);
    }

    private Process launch(String name, Path jar, List<String> args) throws IOException {
        return ServiceProcess.launch(jar, log(name), broker.getBrokersAsString(), args);
    }

    Path log(String name) {
        return home.resolve(name + ".log");
    }

    private void awaitHealthy(String name, Process p, int port) throws InterruptedException {
        ServiceProcess.awaitHealthy(name, p, port, log(name));
    }

    static String get(int port, String path) {
        return ServiceProcess.get(port, path);
    }

    /** Copies an image keeping it sparse. */
    static Path sparseCopy(Path from, Path to) throws IOException {
        try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(from);
             java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(to, java.nio.file.StandardOpenOption.CREATE_NEW,
                     java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1 << 16);
            byte[] zero = new byte[b.capacity()];
            for (long pos = 0; pos < in.size(); pos += b.capacity()) {
                b.clear();
                int n = in.read(b, pos);
                if (n > 0 && !java.util.Arrays.equals(b.array(), 0, n, zero, 0, n)) {
                    b.flip();
                    out.write(b, pos);
                }
            }
            if (out.size() < in.size()) {
                out.write(java.nio.ByteBuffer.allocate(1), in.size() - 1);
            }
        }
        return to;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        for (Process p : new Process[]{writeback, ext4, jbd2, blockdev}) {
            if (p != null) {
                p.destroyForcibly();
                try {
                    p.waitFor(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
