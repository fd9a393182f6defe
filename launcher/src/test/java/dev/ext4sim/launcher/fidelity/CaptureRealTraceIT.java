package dev.ext4sim.launcher.fidelity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.ext4sim.launcher.Component;
import dev.ext4sim.launcher.LauncherIT;
import dev.ext4sim.launcher.Rest;
import dev.ext4sim.launcher.Settings;
import dev.ext4sim.launcher.Stack;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * scripts/capture-real-trace.sh on this machine's kernel, where it can run (root, tracefs, loop devices): the seed
 * program's three variants traced on a loop-device ext4, each task doing in the capture what the seeds say it does;
 * and the same program run meanwhile over REST on a stack with the 6.x profile, held against the capture by
 * {@code POST /v1/trace/diff}, task by task, each task's recall and precision at least its floor.
 */
class CaptureRealTraceIT {
    /** The least recall and precision of each task of the 6.x profile against this machine's kernel (docs/fidelity.md). */
    static final java.util.Map<String, Double> AT_LEAST = java.util.Map.of("writer", 0.9, "kworker", 0.9, "jbd2", 0.9);
    static final byte[] HELLO = "hello world\n".getBytes(StandardCharsets.US_ASCII);
    /**
     * The pause before each call after open, on both sides (capture-real-trace.sh's --gap): the program's pace decides
     * which of the flusher's 5 s rounds finds each file expired, and 500 ms puts /hello alone in the first and the
     * others in the next, whatever a REST call adds.
     */
    static final long GAP_MS = 500;

    static Path dir;
    static Path capture;
    static String captureLog = "";
    static int captureExit = -1;
    static Stack stack;
    static Rest rest;
    static int httpPort;
    static String ourStart;
    static final ByteArrayOutputStream output = new ByteArrayOutputStream();

    @BeforeAll
    static void captureTheKernelWhileTheStackRunsTheSameProgram() throws Exception {
        if (!isRoot() || !(Files.exists(Path.of("/sys/kernel/tracing")) || Files.exists(Path.of("/sys/kernel/debug/tracing")))
                || !Files.exists(Path.of("/dev/loop-control"))) {
            return; // the tests say why they skip
        }
        Path root = Path.of(System.getProperty("user.dir")).getParent();
        dir = Files.createTempDirectory(root.resolve("launcher").resolve("target"), "capture-");
        capture = dir.resolve("real-trace.txt");
        Path log = dir.resolve("capture.log");
        Process p = new ProcessBuilder("bash", root.resolve("scripts/capture-real-trace.sh").toString(), capture.toString(),
                "--timeout", "150", "--gap", String.valueOf(GAP_MS)).redirectErrorStream(true).redirectOutput(log.toFile()).start();

        int base = LauncherIT.freePortBlock(10);
        Settings settings = new Settings(root, dir.resolve("home"), base, base + 8, "-Dext4sim.kernel=6.x");
        stack = new Stack(settings, new PrintStream(output, true, StandardCharsets.UTF_8));
        assertThat(stack.up()).as(output.toString(StandardCharsets.UTF_8)).isZero();
        httpPort = settings.port(Component.SERVICES.getFirst());
        rest = new Rest(httpPort);
        seedProgram("/hello", List.of("O_CREAT", "O_RDWR"), 1394, false);
        seedProgram("/hello-osync", List.of("O_CREAT", "O_RDWR", "O_SYNC"), 1395, false);
        seedProgram("/hello-fsync", List.of("O_CREAT", "O_RDWR"), 1396, true);
        ourStart = rest.traceUntil("task=demo", l -> true).getFirst().timestamp();

        boolean ended = p.waitFor(200, TimeUnit.SECONDS);
        captureLog = Files.readString(log);
        if (!ended) {
            p.destroyForcibly();
            captureLog += "\n(the capture did not end by its own deadline)";
        } else {
            captureExit = p.exitValue();
        }
    }

    @AfterAll
    static void down() {
        if (stack != null) {
            stack.down();
        }
        System.out.println(output.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theSeedProgramIsTracedOnARealExt4() throws Exception {
        assumeCaptured();
        List<String> events = events();
        String dev = device(events);
        assertThat(events).as("the writer: buffered write, then the fsync and O_SYNC variants' sync")
                .anyMatch(l -> l.contains(" demo-") && l.contains("ext4_da_write_begin: dev " + dev + " "))
                .anyMatch(l -> l.contains(" demo-") && l.contains("ext4_sync_file_enter: dev " + dev + " "));
        assertThat(events).as("the flusher writes the file that was not synced back")
                .anyMatch(l -> l.contains("kworker/") && l.contains("ext4_writepages: dev " + dev + " "));
        assertThat(events).as("the journal thread commits")
                .anyMatch(l -> l.contains("jbd2/loop") && l.contains("jbd2_start_commit: dev " + dev + " "))
                .anyMatch(l -> l.contains("jbd2/loop") && l.contains("jbd2_end_commit: dev " + dev + " "));
        assertThat(events).as("nothing of another device").noneMatch(l -> l.matches(".*\\bdev (?!" + dev + " )\\d+,\\d+ .*"));
    }

    @Test
    void theSixXProfileFollowsThisMachinesKernelTaskByTask() throws Exception {
        assumeCaptured();
        // ours is complete, as the capture is, once the flusher has written /hello back, a commit has followed, and
        // the flusher's next round (the metadata that commit exposed) has ended
        rest.traceUntilAll("since=" + ourStart, lines -> {
            double written = first(lines, l -> l.comm().startsWith("kworker/")
                    && l.event().equals("ext4_writepages_result") && l.text().contains(" pages_written 1 "), 0);
            double committed = first(lines, l -> l.event().equals("jbd2_end_commit"), written);
            return first(lines, l -> l.comm().startsWith("kworker/") && l.event().equals("writeback_pages_written"),
                    committed) < Double.MAX_VALUE;
        });
        String real = Files.readString(capture);
        String table = diff(real, "text");
        System.out.println(table);
        String json = diff(real, "json");
        for (String task : List.of("writer", "kworker", "jbd2")) {
            double floor = AT_LEAST.get(task);
            assertThat(number(json, task, "recall")).as(task + " recall\n" + table).isGreaterThanOrEqualTo(floor);
            assertThat(number(json, task, "precision")).as(task + " precision\n" + table).isGreaterThanOrEqualTo(floor);
        }
    }

    /** The timestamp of the first line after {@code after} that {@code which} picks, or Double.MAX_VALUE. */
    static double first(List<Rest.Line> lines, java.util.function.Predicate<Rest.Line> which, double after) {
        return lines.stream().filter(l -> Double.parseDouble(l.timestamp()) > after).filter(which)
                .mapToDouble(l -> Double.parseDouble(l.timestamp())).min().orElse(Double.MAX_VALUE);
    }

    static void seedProgram(String path, List<String> flags, int pid, boolean fsync) throws Exception {
        Rest.Caller demo = rest.as("demo", pid);
        int fd = demo.open(path, flags, "0644").fd();
        Thread.sleep(GAP_MS); // the program's pace, not a wait for anything
        assertThat(demo.write(fd, HELLO).written()).isEqualTo(HELLO.length);
        if (fsync) {
            Thread.sleep(GAP_MS);
            assertThat(demo.post("/v1/fds/" + fd + "/fsync").body()).isEqualTo("{\"ret\":0}");
        }
        Thread.sleep(GAP_MS);
        assertThat(demo.post("/v1/fds/" + fd + "/close").body()).isEqualTo("{\"ret\":0}");
    }

    static String diff(String real, String format) throws Exception {
        HttpRequest.Builder post = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                        + "/v1/trace/diff?rows=400&since=" + ourStart + "&format=" + format))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(real));
        Rest.Reply reply = rest.send(post);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.body();
    }

    /** One number of one task in the diff's JSON: {"writer":{...,"recall":0.93,...},...}. */
    static double number(String json, String task, String name) {
        Matcher m = Pattern.compile("\"" + task + "\":\\{[^}]*?\"" + name + "\":([0-9.]+)").matcher(json);
        assertThat(m.find()).as(task + "." + name + " in " + json).isTrue();
        return Double.parseDouble(m.group(1));
    }

    static void assumeCaptured() {
        assumeThat(dir).as("tracefs and loop devices need root, a tracefs mount point and /dev/loop-control; skipped")
                .isNotNull();
        System.out.println(captureLog);
        assertThat(captureExit).as(captureLog).isZero();
    }

    static List<String> events() throws IOException {
        return Files.readAllLines(capture, StandardCharsets.UTF_8).stream().filter(l -> !l.startsWith("#")).toList();
    }

    /** The loop device the ext4 events name: 7,N. */
    private static String device(List<String> events) {
        return events.stream().filter(l -> l.contains("ext4_da_write_begin: dev 7,")).findFirst()
                .map(l -> l.replaceAll(".*ext4_da_write_begin: dev (7,\\d+) .*", "$1"))
                .orElseThrow(() -> new AssertionError("no ext4_da_write_begin on a loop device in the capture"));
    }

    private static boolean isRoot() throws IOException, InterruptedException {
        Process id = new ProcessBuilder("id", "-u").start();
        String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return id.waitFor() == 0 && uid.equals("0");
    }
}
