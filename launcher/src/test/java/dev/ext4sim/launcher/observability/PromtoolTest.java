package dev.ext4sim.launcher.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Prometheus's own checker accepts the configuration, every rule file, and the alerts' unit tests. */
class PromtoolTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path PROMETHEUS = ROOT.resolve("observability/prometheus");

    record Result(int exit, String output) {}

    @Test
    void configurationIsValid() throws Exception {
        Result r = promtool("check", "config", PROMETHEUS.resolve("prometheus.yml").toString());
        assertThat(r.exit()).as(r.output()).isZero();
    }

    @Test
    void everyRuleFileIsValid() throws Exception {
        eachPasses("rule files", "rules", "check", "rules");
    }

    @Test
    void alertUnitTestsPass() throws Exception {
        eachPasses("rule unit tests", "tests", "test", "rules");
    }

    /** `promtool COMMAND SUBCOMMAND FILE` on every YAML file of {@code folder}, of which there is at least one. */
    private static void eachPasses(String what, String folder, String command, String subcommand) throws Exception {
        List<Path> files = yamlFiles(PROMETHEUS.resolve(folder));
        assertThat(files).as("%s in %s", what, PROMETHEUS.resolve(folder)).isNotEmpty();
        for (Path f : files) {
            Result r = promtool(command, subcommand, f.toString());
            assertThat(r.exit()).as("%s:%n%s", f.getFileName(), r.output()).isZero();
        }
    }

    private static List<Path> yamlFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".yml")).sorted().toList();
        }
    }

    private static Path promtoolBinary() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.add("/usr/bin");
        for (String dir : dirs) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "promtool");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return fail("promtool is not on PATH: install Debian's prometheus package "
                + "(sudo apt-get install prometheus), which .ci/run does where it is missing");
    }

    private static Result promtool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(promtoolBinary().toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(PROMETHEUS.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        // promtool checks these files in well under a second; a minute means it hangs
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return fail(String.join(" ", command) + " did not finish within 60 s");
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.exitValue(), String.join(" ", command) + "\n" + output);
    }
}
