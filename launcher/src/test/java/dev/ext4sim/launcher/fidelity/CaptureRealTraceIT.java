package dev.ext4sim.launcher.fidelity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/capture-real-trace.sh on this machine's kernel, where it can run (root, tracefs, loop devices): the seed
 * program's three variants traced on a loop-device ext4, and in the capture each task doing what the seeds say it
 * does, on that device only.
 */
class CaptureRealTraceIT {
    @TempDir
    Path dir;

    @Test
    void theSeedProgramIsTracedOnARealExt4() throws Exception {
        assumeThat(isRoot()).as("tracefs and loop devices need root; skipped").isTrue();
        assumeThat(Files.exists(Path.of("/sys/kernel/tracing")) || Files.exists(Path.of("/sys/kernel/debug/tracing")))
                .as("no tracefs mount point on this kernel; skipped").isTrue();
        assumeThat(Files.exists(Path.of("/dev/loop-control"))).as("no loop devices here; skipped").isTrue();
        Path root = Path.of(System.getProperty("user.dir")).getParent();
        Path out = dir.resolve("real-trace.txt");
        Path log = dir.resolve("capture.log");

        Process p = new ProcessBuilder("bash", root.resolve("scripts/capture-real-trace.sh").toString(), out.toString(),
                "--timeout", "150").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(p.waitFor(200, TimeUnit.SECONDS)).as("the capture ends by its own deadline").isTrue();
        String said = Files.readString(log);
        System.out.println(said);
        assertThat(p.exitValue()).as(said).isZero();

        List<String> events = Files.readAllLines(out, StandardCharsets.UTF_8).stream()
                .filter(l -> !l.startsWith("#")).toList();
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
