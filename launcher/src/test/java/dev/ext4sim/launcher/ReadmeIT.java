package dev.ext4sim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's quick start, run as printed: every {@code ```sh} block of README.md, in order, as one bash script
 * ({@code set -euo pipefail}) that starts a fresh stack with {@code ./ext4sim up}, runs the seed program with curl
 * and reads the file back with debugfs. Only the stack's address and data folder are the test's own, so that a
 * developer's running stack is left alone: the script gets a free port block and a fresh folder through
 * EXT4SIM_HTTP_PORT, EXT4SIM_KAFKA_PORT, EXT4SIM_PROMETHEUS_PORT and EXT4SIM_HOME, and {@code 127.0.0.1:8080}–{@code 8085},
 * {@code 127.0.0.1:9092} and {@code .ext4sim/} in its text are replaced by them.
 *
 * <p>What the README promises is checked against what the script printed: every answer its comments show
 * ({@code # → {"fd":3}}, with {@code ...} standing for any text) in order, and every line of the trace excerpt that
 * follows the quick start's trace calls, by task, event and text (the text of events that carry timings excepted).
 */
class ReadmeIT {
    static final Pattern FTRACE_LINE =
            Pattern.compile("^\\s*(\\S+-\\d+)\\s+\\[\\d{3}] \\S{4}\\s+\\d+\\.\\d{6}: (\\w+): (.*)$");
    /** Events whose text carries durations or jiffies: only their task and name are compared. */
    static final Set<String> TIMED = Set.of("jbd2_run_stats", "jbd2_handle_stats", "ufshcd_init");

    static Path root;
    static Path home;
    static int httpPort;
    static int kafkaPort;

    @BeforeAll
    static void freshFolder() throws IOException {
        root = Path.of(System.getProperty("user.dir")).getParent();
        home = Files.createTempDirectory(root.resolve("launcher").resolve("target"), "readme-");
        httpPort = LauncherIT.freePortBlock(10);
        kafkaPort = httpPort + 8;
    }

    @AfterAll
    static void down() throws Exception {
        // the script ends with `down`; this one is for a script that failed half-way
        run(List.of(root.resolve("ext4sim").toString(), "down"), 120);
    }

    @Test
    void theQuickStartRunsAsPrinted() throws Exception {
        List<String> readme = Files.readAllLines(root.resolve("README.md"));
        List<String> script = shellLines(readme);
        assertThat(script).as("README's sh blocks").anyMatch(l -> l.startsWith("./ext4sim up"))
                .anyMatch(l -> l.contains("/v1/open")).anyMatch(l -> l.contains("debugfs"));

        Path file = home.resolve("quickstart.sh");
        Files.writeString(file, "set -euo pipefail\n" + String.join("\n", script.stream().map(this::localize).toList()) + "\n");
        Result r = run(List.of("bash", file.toString()), 600);
        System.out.println("---- README quick start ----\n" + r.output());
        assertThat(r.exit()).as(r.output()).isZero();

        List<String> answers = expectedAnswers(script);
        assertThat(answers).as("answers shown in README's comments").isNotEmpty();
        int at = 0;
        for (String answer : answers) {
            int found = find(r.output(), answer, at);
            assertThat(found).as("README's answer `%s` in what the script printed after offset %d:%n%s", answer, at, r.output())
                    .isNotNegative();
            at = found;
        }

        List<Matcher> excerpt = traceExcerpt(readme);
        assertThat(excerpt).as("the trace excerpt after the quick start's trace calls").hasSizeGreaterThan(5);
        List<String> printed = r.output().lines().toList();
        int line = 0;
        for (Matcher want : excerpt) {
            int i = line;
            while (i < printed.size() && !sameEvent(want, printed.get(i))) {
                i++;
            }
            assertThat(i).as("README's trace line `%s` printed (in order, from line %d)", want.group(0).strip(), line)
                    .isLessThan(printed.size());
            line = i + 1;
        }
    }

    /** Every line of every ```sh block, without the line that runs the test suite (a test cannot run itself). */
    static List<String> shellLines(List<String> readme) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String l : readme) {
            if (!in && l.strip().equals("```sh")) {
                in = true;
            } else if (in && l.strip().equals("```")) {
                in = false;
            } else if (in && !l.strip().startsWith("./ext4sim test")) {
                out.add(l);
            }
        }
        return out;
    }

    /** The script with the test's own addresses and data folder in place of the defaults. */
    String localize(String line) {
        String l = line.replaceAll("(?<=^|\\s|['\"])\\.ext4sim/", Matcher.quoteReplacement(home + "/"));
        Matcher m = Pattern.compile("127\\.0\\.0\\.1:(808[0-5]|9092)\\b").matcher(l);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            int port = Integer.parseInt(m.group(1));
            int local = port == 9092 ? kafkaPort : httpPort + (port - 8080);
            m.appendReplacement(sb, "127.0.0.1:" + local);
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** The answers the README shows as `# → TEXT` at the end of a line, in order. */
    static List<String> expectedAnswers(List<String> script) {
        List<String> out = new ArrayList<>();
        for (String l : script) {
            int arrow = l.indexOf("# → ");
            if (arrow >= 0) {
                out.add(l.substring(arrow + 4).strip());
            }
        }
        return out;
    }

    /** Where {@code expected} (with `...` for any text) ends in {@code output} from {@code from}, or -1. */
    static int find(String output, String expected, int from) {
        int at = from;
        for (String piece : expected.split("\\.\\.\\.", -1)) {
            if (piece.isEmpty()) {
                continue;
            }
            int i = output.indexOf(piece, at);
            if (i < 0) {
                return -1;
            }
            at = i + piece.length();
        }
        return at;
    }

    /** The ftrace lines of the first ```text block after the first sh line that reads /v1/trace. */
    static List<Matcher> traceExcerpt(List<String> readme) {
        int i = 0;
        while (i < readme.size() && !(readme.get(i).contains("curl") && readme.get(i).contains("/v1/trace"))) {
            i++;
        }
        while (i < readme.size() && !readme.get(i).strip().equals("```text")) {
            i++;
        }
        List<Matcher> out = new ArrayList<>();
        for (i++; i < readme.size() && !readme.get(i).strip().equals("```"); i++) {
            Matcher m = FTRACE_LINE.matcher(readme.get(i));
            if (m.matches()) {
                out.add(m);
            }
        }
        return out;
    }

    static boolean sameEvent(Matcher want, String printed) {
        Matcher got = FTRACE_LINE.matcher(printed);
        return got.matches() && got.group(1).equals(want.group(1)) && got.group(2).equals(want.group(2))
                && (TIMED.contains(want.group(2)) || got.group(3).strip().equals(want.group(3).strip()));
    }

    record Result(int exit, String output) {
    }

    static Result run(List<String> command, int timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("EXT4SIM_HOME", home.toString());
        env.put("EXT4SIM_HTTP_PORT", String.valueOf(httpPort));
        env.put("EXT4SIM_KAFKA_PORT", String.valueOf(kafkaPort));
        env.put("EXT4SIM_PROMETHEUS_PORT", String.valueOf(httpPort + 6)); // free in the block, where Prometheus is installed
        env.put("EXT4SIM_BUILD", "never");
        env.put("PATH", env.getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin"); // debugfs
        Path log = Files.createTempFile(home, "run-", ".log");
        Process p = pb.redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            return new Result(-1, Files.readString(log, StandardCharsets.UTF_8) + "\n(killed after " + timeoutSeconds + " s)");
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
}
