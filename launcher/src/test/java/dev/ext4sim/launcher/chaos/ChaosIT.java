package dev.ext4sim.launcher.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.launcher.LauncherIT;
import dev.ext4sim.launcher.Main;
import dev.ext4sim.launcher.Settings;
import dev.ext4sim.launcher.Stack;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A power-cut sweep of a small workload (`./ext4sim chaos --power-cut-sweep`: the disk rebuilt from the device's write
 * log at every flush and FUA write, recovered and checked), then a short chaos run, as `./ext4sim chaos --sweep` makes it: every crash point of jbd2, ext4 and blockdev once, and the
 * broker stopped for a while, under two clients; each crash recovered by the watchdog (a power cut brings ext4 and
 * jbd2 down with the device), every file checked after each recovery and on the image after a clean stop, each image
 * a power cut left replayed by e2fsck and by ext4sim and compared. Nothing acknowledged may be lost, the replays must
 * agree, and e2fsck must pass.
 */
class ChaosIT {
    static Stack stack;

    @AfterAll
    static void down() {
        if (stack != null) {
            stack.down();
        }
    }

    @Test
    void everyPowerCutOfASmallWorkloadAndEveryCrashPointOnceLoseNothingAcknowledged() throws Exception {
        Path root = Path.of(System.getProperty("user.dir")).getParent();
        Path home = Files.createTempDirectory(root.resolve("launcher").resolve("target"), "chaos-");
        int base = LauncherIT.freePortBlock(10);
        Settings settings = new Settings(root, home, base, base + 8, "");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        stack = new Stack(settings, new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(stack.up()).as(out.toString(StandardCharsets.UTF_8)).isZero();
        Path json = home.resolve("report.json");

        // first the power cuts of a small seeded workload, rebuilt from the device's write log (the stack stays up)
        Path sweep = home.resolve("power-cut-sweep.json");
        int swept = Main.chaos(settings, List.of("--power-cut-sweep", "--ops", "40", "--seed", "5", "--json",
                sweep.toString()), new PrintStream(out, true, StandardCharsets.UTF_8));
        String sweepSaid = out.toString(StandardCharsets.UTF_8);
        System.out.println(sweepSaid.substring(Math.max(0, sweepSaid.indexOf("power-cut sweep:"))));
        assertThat(swept).as("the power-cut sweep's verdict").isZero();
        String sweepReport = Files.readString(sweep);
        assertThat(sweepReport).contains("\"pass\":true", "\"acknowledged_bytes_lost\":0", "\"violations\":0",
                "\"kind\":\"FLUSH\"", "\"kind\":\"FUA\"").doesNotContain("\"acknowledged_durability_calls\":0,",
                "\"states_checked\":0,");
        assertThat(sweepReport).as("some crash state needed its journal replayed")
                .containsPattern("\"transactions_replayed\":[1-9]");
        out.reset();

        int exit = Main.chaos(settings, List.of("--sweep", "--clients", "2", "--seed", "11", "--broker-stop", "3",
                "--json", json.toString()), new PrintStream(out, true, StandardCharsets.UTF_8));

        String said = out.toString(StandardCharsets.UTF_8);
        System.out.println(said.substring(Math.max(0, said.indexOf("chaos:"))));
        assertThat(exit).as("the verdict").isZero();
        String report = Files.readString(json);
        assertThat(report).contains("\"verdict\":\"pass\"", "\"acknowledged_bytes_lost_during_run\":0",
                "\"e2fsck_exit\":0");
        for (String point : List.of("jbd2.commit.T_LOCKED", "jbd2.commit.T_FLUSH", "jbd2.commit.T_COMMIT",
                "jbd2.commit.commit_block_written", "jbd2.checkpoint.written_home", "jbd2.write_superblock",
                "ext4.writepages.after_bios", "ext4.sync_file.before_commit_wait", "ext4.direct_io.after_bios",
                "ext4.dio_complete.before_conversion", "kafka.stopped")) {
            assertThat(report).as(point).containsPattern("\"" + point.replace(".", "\\.") + "\":\\{\"fired\":1,");
        }
        for (String point : List.of("blockdev.flush", "blockdev.fua", "blockdev.write")) {
            assertThat(report).as(point).containsPattern("\"" + point.replace(".", "\\.") + "\":\\{\"fired\":1,.*?"
                    + "\"replay_checks\":1,\"replay_disagreements\":0");
        }
        assertThat(said).contains("verdict: PASS");
        assertThat(stack.processes()).as("the run stops the stack at its end").isEmpty();
    }
}
