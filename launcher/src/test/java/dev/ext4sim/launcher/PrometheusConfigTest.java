package dev.ext4sim.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration `up` gives the local Prometheus: the repository's prometheus.yml with the stack's real ports and
 * the rule files by absolute path, which promtool accepts (it also loads and checks every rule file it names).
 */
class PrometheusConfigTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    @TempDir
    Path home;

    @Test
    void everyServiceIsScrapedOnItsRealPortAndTheRulesAreFoundByAbsolutePath() throws Exception {
        Settings settings = new Settings(ROOT, home, 18300, 18308, 18306, "");
        Prometheus.writeConfig(settings);
        Path rendered = home.resolve("prometheus").resolve("prometheus.yml");
        JsonNode config = new YAMLMapper().readTree(rendered.toFile());

        Map<String, List<String>> targets = new LinkedHashMap<>();
        for (JsonNode job : config.path("scrape_configs")) {
            List<String> t = new ArrayList<>();
            job.path("static_configs").forEach(sc -> sc.path("targets").forEach(x -> t.add(x.asText())));
            targets.put(job.path("job_name").asText(), t);
        }
        for (Component c : Component.SERVICES) {
            assertThat(targets).as("scrape jobs").containsEntry(c.name(), List.of("127.0.0.1:" + settings.port(c)));
        }
        assertThat(config.path("global").path("scrape_interval").asText()).as("kept from the template").isEqualTo("2s");

        assertThat(config.path("rule_files")).isNotEmpty();
        for (JsonNode f : config.path("rule_files")) {
            Path pattern = Path.of(f.asText());
            assertThat(pattern).as("rule file path").isAbsolute();
            assertThat(pattern.getParent()).isEqualTo(ROOT.resolve("observability/prometheus/rules"));
        }

        String out = promtool("check", "config", rendered.toString());
        assertThat(out).contains("SUCCESS").contains("alerts.yml").contains("recording.yml");
    }

    @Test
    void renderingChangesOnlyTargetsOfKnownJobsAndRelativeRulePaths() {
        String template = """
                # comment 127.0.0.1:8080
                rule_files:
                  - rules/*.yml
                  - "/etc/abs.yml"
                scrape_configs:
                  - job_name: jbd2-service
                    metrics_path: /actuator/prometheus
                    static_configs:
                      - targets: ["127.0.0.1:8083"]
                  - job_name: prometheus
                    static_configs:
                      - targets: ['localhost:9090']
                  - job_name: elsewhere
                    static_configs:
                      - targets: ["127.0.0.1:9100"]
                """;
        Settings settings = new Settings(ROOT, home, 20000, 20008, 20006, "");
        String out = Prometheus.render(template, settings, Path.of("/repo/observability/prometheus"));
        assertThat(out).isEqualTo("""
                # comment 127.0.0.1:8080
                rule_files:
                  - "/repo/observability/prometheus/rules/*.yml"
                  - "/etc/abs.yml"
                scrape_configs:
                  - job_name: jbd2-service
                    metrics_path: /actuator/prometheus
                    static_configs:
                      - targets: ["127.0.0.1:20003"]
                  - job_name: prometheus
                    static_configs:
                      - targets: ['127.0.0.1:20006']
                  - job_name: elsewhere
                    static_configs:
                      - targets: ["127.0.0.1:9100"]
                """);
    }

    @Test
    void itsProcessCarriesTheDataFolderAsItsMark() {
        Settings settings = new Settings(ROOT, home, 20000, 20008, 20006, "");
        List<String> cmd = Prometheus.command(Path.of("/usr/bin/prometheus"), settings);
        assertThat(cmd).contains("--config.file=" + home.resolve("prometheus/prometheus.yml"),
                "--storage.tsdb.path=" + home.resolve("prometheus/data"), "--web.listen-address=127.0.0.1:20006");
        assertThat(cmd).contains(Prometheus.mark(settings));
        assertThat(settings.port(Component.PROMETHEUS)).isEqualTo(20006);
        assertThat(new Settings(ROOT, home, 20000, 20008, "").prometheusPort()).as("tests' stacks run none").isZero();
    }

    private static String promtool(String... args) throws Exception {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.add("/usr/bin");
        Path binary = dirs.stream().map(d -> Path.of(d.isEmpty() ? "." : d, "promtool")).filter(Files::isExecutable)
                .findFirst().orElseGet(() -> fail("promtool is not on PATH: install Debian's prometheus package"
                        + " (sudo apt-get install prometheus), which .ci/run does where it is missing"));
        List<String> command = new ArrayList<>(List.of(binary.toString()));
        command.addAll(List.of(args));
        // from elsewhere than the repository's prometheus folder: relative rule paths would not resolve here
        Process p = new ProcessBuilder(command).directory(new File("/")).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return fail(String.join(" ", command) + " did not finish within 60 s");
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
        return output;
    }
}
