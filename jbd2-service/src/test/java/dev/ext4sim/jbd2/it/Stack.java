package dev.ext4sim.jbd2.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.kafka.KafkaBus;
import dev.ext4sim.bus.kafka.TraceReader;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.testing.ServiceProcess;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ondisk.ext4.Mkfs;
import dev.ext4sim.ondisk.ext4.MkfsOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The real thing for the jbd2 ITs: one embedded KRaft broker per JVM, and per test a fresh ext4 image from our mkfs
 * served by the packaged blockdev-service jar and a packaged jbd2-service jar, each a process of its own (SIGKILL
 * is a real SIGKILL). The test itself is ext4: a bus client that loads the journal, runs handles and waits for
 * commits, and reads the trace topic and the jbd2_journal_loaded events.
 */
final class Stack implements AutoCloseable {
    static final Duration CALL = Duration.ofSeconds(20);
    static final TraceContext EXT4 = new TraceContext("it-mount", new Task("mount", 400));

    private static EmbeddedKafkaKraftBroker broker;
    private static KafkaBus ext4;
    private static TraceReader traceReader;
    static final List<TraceEvent> TRACE = new CopyOnWriteArrayList<>();
    static final List<Jbd2Calls.Loaded> LOADED = new CopyOnWriteArrayList<>();

    final Path home;
    final Path image;
    final String profile;
    final List<String> jbd2Args;
    final int blockdevPort;
    final int jbd2Port;
    Process blockdev;
    Process jbd2;

    /** The broker, the ext4 client and the trace reader, once per JVM (every IT class shares them). */
    static synchronized void shared() {
        if (broker != null) {
            return;
        }
        broker = new EmbeddedKafkaKraftBroker(1, 1);
        broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
        broker.brokerProperty("offsets.topic.num.partitions", "1");
        broker.brokerProperty("message.max.bytes", String.valueOf(16 << 20));
        broker.afterPropertiesSet();
        ext4 = new KafkaBus("it-ext4", broker.getBrokersAsString());
        ext4.events().subscribe(Jbd2Calls.LOADED, (loaded, trace) -> LOADED.add(loaded));
        ext4.start(Duration.ofSeconds(30));
        traceReader = new TraceReader(broker.getBrokersAsString(), "it-trace-" + UUID.randomUUID(), TRACE::add);
        traceReader.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            traceReader.close();
            ext4.close();
            broker.destroy();
        }));
    }

    private Stack(String name, long imageBytes, String profile, List<String> jbd2Args) throws IOException {
        shared();
        this.home = Files.createTempDirectory(Path.of("target"), name + "-").toAbsolutePath();
        this.image = home.resolve("sda.img");
        this.profile = profile;
        this.jbd2Args = jbd2Args;
        Mkfs.format(image, MkfsOptions.defaults().withSize(imageBytes));
        this.blockdevPort = freePort();
        this.jbd2Port = freePort();
    }

    /** A fresh image of {@code imageBytes}, blockdev with {@code profile}, jbd2 with extra {@code --name=value} args. */
    static Stack start(String name, long imageBytes, String profile, String... jbd2Args) throws Exception {
        Stack s = new Stack(name, imageBytes, profile, List.of(jbd2Args));
        s.onImage(s::startProcesses);
        return s;
    }

    /** Runs {@code r}; on failure the processes are stopped and the logs named. */
    private void onImage(ThrowingRunnable r) throws Exception {
        try {
            r.run();
        } catch (Throwable t) {
            close();
            throw t;
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private void startProcesses() throws Exception {
        blockdev = launch("blockdev-service", Path.of("..", "blockdev-service", "target", "blockdev-service-exec.jar"),
                List.of("--server.port=" + blockdevPort, "--ext4sim.blockdev.image=" + image,
                        "--ext4sim.blockdev.profile=" + profile, "--ext4sim.blockdev.destage-interval=0s",
                        "--ext4sim.blockdev.tracing=false"));
        jbd2 = launchJbd2();
        awaitHealthy("blockdev-service", blockdev, blockdevPort);
        awaitHealthy("jbd2-service", jbd2, jbd2Port);
    }

    private Process launchJbd2() throws IOException {
        List<String> args = new ArrayList<>(List.of("--server.port=" + jbd2Port));
        args.addAll(jbd2Args);
        return launch("jbd2-service", Path.of("target", "jbd2-service-exec.jar"), args);
    }

    void restartJbd2() throws Exception {
        jbd2 = launchJbd2();
        awaitHealthy("jbd2-service", jbd2, jbd2Port);
    }

    /** SIGKILL, as ./ext4sim kill does. */
    void killJbd2() throws InterruptedException {
        jbd2.destroyForcibly();
        assertThat(jbd2.waitFor(30, TimeUnit.SECONDS)).isTrue();
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

    static HttpResponse<String> getResponse(int port, String path) throws Exception {
        return ServiceProcess.getResponse(port, path);
    }

    static <Q, R> R jbd2(CallType<Q, R> type, Q request, TraceContext ctx) {
        return ext4.client().invoke(Jbd2Calls.SERVICE, type, request, CALL, ctx);
    }

    static <Q, R> R jbd2(CallType<Q, R> type, Q request, TraceContext ctx, Duration timeout) {
        return ext4.client().invoke(Jbd2Calls.SERVICE, type, request, timeout, ctx);
    }

    static <Q, R> R blockdev(CallType<Q, R> type, Q request) {
        return ext4.client().invoke(BlockIo.SERVICE, type, request, CALL, EXT4);
    }

    static Jbd2Calls.Loaded load() {
        return jbd2(Jbd2Calls.LOAD, new Jbd2Calls.Load("sda1"), EXT4);
    }

    /** blkdev_issue_flush: what blockdev holds in its volatile cache reaches the image file. */
    static void flushDisk() {
        blockdev(BlockIo.SUBMIT, new BlockIo.Submit("sda1", List.of(BlockIo.Bio.flush()), null));
    }

    static byte[] readBlock(long block) {
        return blockdev(BlockIo.SUBMIT, new BlockIo.Submit("sda1", List.of(BlockIo.Bio.read(block * 8, 4096)), null)).data();
    }

    static int traceMark() {
        return TRACE.size();
    }

    static List<TraceEvent> traceSince(int mark) {
        // a snapshot first: a sublist of the live list fails when the trace reader appends meanwhile
        List<TraceEvent> all = List.copyOf(TRACE);
        return all.subList(Math.min(mark, all.size()), all.size());
    }

    /** Waits until an event after {@code mark} matches. */
    static TraceEvent awaitTrace(int mark, Duration timeout, Predicate<TraceEvent> what, String description) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (TraceEvent e : traceSince(mark)) {
                if (what.test(e)) {
                    return e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no tracepoint " + description + " within " + timeout);
            }
            LockSupport.parkNanos(2_000_000); // poll pace: the two cores also run the services
        }
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            LockSupport.parkNanos(2_000_000); // poll pace: the two cores also run the services
        }
    }

    /** Copies an image keeping it sparse (only blocks that are not all zero are written): a few MB, not the whole size. */
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
            out.truncate(in.size());
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
        for (Process p : new Process[]{jbd2, blockdev}) {
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
