package dev.ext4sim.launcher;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The local Prometheus: an installed binary (Debian's package), run with the repository's
 * observability/prometheus/prometheus.yml rendered for this stack. That file is written for the default ports and
 * names its rule files relative to itself; a stack on other ports (a test's, or EXT4SIM_HTTP_PORT) needs the real
 * ones, and the rendered copy under the data folder needs the rule files by absolute path.
 */
final class Prometheus {
    static final String STORAGE_FLAG = "--storage.tsdb.path=";
    private static final Pattern JOB = Pattern.compile("^\\s*-\\s*job_name:\\s*[\"']?([\\w.-]+)[\"']?\\s*$");
    private static final Pattern TARGET = Pattern.compile("(127\\.0\\.0\\.1|localhost):\\d+");
    private static final Pattern TOP_KEY = Pattern.compile("^[A-Za-z_]\\w*:.*");
    private static final Pattern LIST_ITEM = Pattern.compile("^(\\s*-\\s*)[\"']?([^\"'#]+?)[\"']?\\s*$");

    private Prometheus() {
    }

    /** The prometheus program on PATH (Debian's package puts it in /usr/bin). */
    static Optional<Path> binary() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)).filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, "prometheus")).filter(Files::isExecutable).findFirst();
    }

    static Path template(Settings settings) {
        return settings.root().resolve("observability").resolve("prometheus").resolve("prometheus.yml");
    }

    static Path config(Settings settings) {
        return settings.prometheusHome().resolve("prometheus.yml");
    }

    static Path data(Settings settings) {
        return settings.prometheusHome().resolve("data");
    }

    /** Its mark in a command line: a Go program has no -Dext4sim.home=, but its TSDB lies in the data folder. */
    static String mark(Settings settings) {
        return STORAGE_FLAG + data(settings);
    }

    /** Writes the configuration for this stack where {@link #command} points Prometheus. */
    static void writeConfig(Settings settings) throws IOException {
        Path template = template(settings);
        Files.createDirectories(data(settings));
        Files.writeString(config(settings), render(Files.readString(template), settings, template.getParent()));
    }

    /**
     * The configuration with each job's targets on the port of the component the job is named after (a job named
     * after none keeps its targets), and each rule file path made absolute against {@code base}, the folder of the
     * template. Text in, text out, so that its comments stay for whoever reads the rendered file.
     */
    static String render(String template, Settings settings, Path base) {
        StringBuilder out = new StringBuilder();
        Optional<Component> job = Optional.empty();
        boolean ruleFiles = false;
        for (String line : template.split("\n", -1)) {
            Matcher m = JOB.matcher(line);
            if (m.matches()) {
                job = Component.byName(m.group(1));
            } else if (TOP_KEY.matcher(line).matches()) {
                job = Optional.empty();
                ruleFiles = line.startsWith("rule_files:");
            } else if (ruleFiles && (m = LIST_ITEM.matcher(line)).matches() && !m.group(2).startsWith("/")) {
                String path = base.resolve(m.group(2).strip()).toAbsolutePath().normalize().toString();
                line = m.group(1) + "\"" + path.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            } else if (job.isPresent()) {
                line = TARGET.matcher(line).replaceAll("127.0.0.1:" + settings.port(job.get()));
            }
            out.append(line).append('\n');
        }
        return out.substring(0, out.length() - 1);
    }

    /** Listening on loopback only, as the services do; two days of samples are plenty for a simulation. */
    static List<String> command(Path binary, Settings settings) {
        return List.of(binary.toString(),
                "--config.file=" + config(settings),
                mark(settings),
                "--storage.tsdb.retention.time=2d",
                "--web.listen-address=127.0.0.1:" + settings.prometheusPort());
    }
}
