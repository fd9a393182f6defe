package dev.ext4sim.launcher.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The provisioned Grafana dashboards are well formed and ask only for series that exist.
 *
 * <p>Metric names are checked against observability/exported-metrics.txt (what the services serve at
 * /actuator/prometheus, regenerated from a running stack) plus the names the recording rules define. A list kept in
 * the repository makes a renamed or removed metric fail here, without a stack; the rules' names come from the rule
 * files themselves, so a dashboard can use a recorded series only if a rule records it.
 */
class DashboardsTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path OBSERVABILITY = ROOT.resolve("observability");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();
    /** Grafana's global variables: $__rate_interval, $__interval, $__range, $__all ... */
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::[^}]*)?}|\\$(\\w+)|\\[\\[(\\w+)]]");
    private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "offset", "and", "or", "unless", "inf", "nan", "atan2", "start", "end");

    record Dashboard(Path file, JsonNode json) {
        String uid() {
            return json.path("uid").asText();
        }

        List<JsonNode> panels() {
            List<JsonNode> all = new ArrayList<>();
            collect(json.path("panels"), all);
            return all;
        }

        private static void collect(JsonNode panels, List<JsonNode> into) {
            for (JsonNode p : panels) {
                into.add(p);
                collect(p.path("panels"), into);
            }
        }

        Set<String> variables() {
            Set<String> names = new LinkedHashSet<>();
            json.path("templating").path("list").forEach(v -> names.add(v.path("name").asText()));
            return names;
        }

        /** Every PromQL expression: panel targets, annotation queries, and the metric part of variable queries. */
        Map<String, String> expressions() {
            Map<String, String> exprs = new LinkedHashMap<>();
            for (JsonNode p : panels()) {
                for (JsonNode t : p.path("targets")) {
                    exprs.put("panel " + p.path("id").asInt() + " '" + p.path("title").asText() + "' "
                            + t.path("refId").asText(), t.path("expr").asText());
                }
            }
            for (JsonNode a : json.path("annotations").path("list")) {
                if (a.has("expr")) {
                    exprs.put("annotation '" + a.path("name").asText() + "'", a.path("expr").asText());
                }
            }
            for (JsonNode v : json.path("templating").path("list")) {
                String query = v.path("query").isObject() ? v.path("query").path("query").asText() : v.path("query").asText();
                Matcher m = Pattern.compile("label_values\\((.+),\\s*\\w+\\)").matcher(query);
                if (m.matches()) {
                    exprs.put("variable $" + v.path("name").asText(), m.group(1));
                }
            }
            return exprs;
        }

        @Override
        public String toString() {
            return file.getFileName().toString();
        }
    }

    private static List<Dashboard> dashboards() {
        try (Stream<Path> files = Files.list(OBSERVABILITY.resolve("grafana/dashboards"))) {
            List<Dashboard> all = new ArrayList<>();
            for (Path f : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                all.add(new Dashboard(f, JSON.readTree(f.toFile())));
            }
            assertThat(all).as("dashboards in observability/grafana/dashboards").isNotEmpty();
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> ruleFiles() throws IOException {
        try (Stream<Path> files = Files.list(OBSERVABILITY.resolve("prometheus/rules"))) {
            return files.filter(f -> f.toString().endsWith(".yml")).sorted().toList();
        }
    }

    private static String provisionedUid() throws IOException {
        JsonNode ds = YAML.readTree(OBSERVABILITY.resolve("grafana/provisioning/datasources/prometheus.yml").toFile())
                .path("datasources");
        assertThat(ds).as("provisioned datasources").hasSize(1);
        String uid = ds.get(0).path("uid").asText();
        assertThat(uid).isNotBlank();
        return uid;
    }

    @Test
    void uidsAreFixedAndUniqueAndTheSchemaCurrent() {
        Set<String> uids = new HashSet<>();
        for (Dashboard d : dashboards()) {
            assertThat(d.uid()).as("%s uid", d).isNotBlank().hasSizeLessThanOrEqualTo(40);
            assertThat(uids.add(d.uid())).as("%s: uid %s used twice", d, d.uid()).isTrue();
            assertThat(d.json().path("id").isMissingNode() || d.json().path("id").isNull())
                    .as("%s: a database id makes provisioning clash; leave it out", d).isTrue();
            assertThat(d.json().path("schemaVersion").asInt()).as("%s schemaVersion", d).isGreaterThanOrEqualTo(39);
            assertThat(d.json().path("title").asText()).as("%s title", d).isNotBlank();
        }
    }

    @Test
    void panelIdsAreUniqueWithinADashboard() {
        for (Dashboard d : dashboards()) {
            Set<Integer> ids = new HashSet<>();
            for (JsonNode p : d.panels()) {
                assertThat(p.path("id").isInt()).as("%s: panel '%s' has no id", d, p.path("title").asText()).isTrue();
                assertThat(ids.add(p.path("id").asInt()))
                        .as("%s: panel id %d used twice", d, p.path("id").asInt()).isTrue();
            }
        }
    }

    @Test
    void panelsDoNotOverlapAndFitTheGrid() {
        for (Dashboard d : dashboards()) {
            checkGrid(d, d.json().path("panels"));
            // a collapsed row keeps its panels inside it, laid out as they will be when it opens
            d.json().path("panels").forEach(p -> checkGrid(d, p.path("panels")));
        }
    }

    private static void checkGrid(Dashboard d, JsonNode panels) {
        List<JsonNode> placed = new ArrayList<>();
        for (JsonNode p : panels) {
            JsonNode g = p.path("gridPos");
            String name = d + " panel " + p.path("id").asInt() + " '" + p.path("title").asText() + "'";
            assertThat(g.path("w").asInt()).as("%s width", name).isBetween(1, 24);
            assertThat(g.path("h").asInt()).as("%s height", name).isPositive();
            assertThat(g.path("x").asInt()).as("%s x", name).isBetween(0, 24 - g.path("w").asInt());
            assertThat(g.path("y").asInt()).as("%s y", name).isNotNegative();
            for (JsonNode q : placed) {
                assertThat(overlap(g, q.path("gridPos")))
                        .as("%s overlaps panel %d '%s'", name, q.path("id").asInt(), q.path("title").asText())
                        .isFalse();
            }
            placed.add(p);
        }
    }

    private static boolean overlap(JsonNode a, JsonNode b) {
        return a.path("x").asInt() < b.path("x").asInt() + b.path("w").asInt()
                && b.path("x").asInt() < a.path("x").asInt() + a.path("w").asInt()
                && a.path("y").asInt() < b.path("y").asInt() + b.path("h").asInt()
                && b.path("y").asInt() < a.path("y").asInt() + a.path("h").asInt();
    }

    @Test
    void everyDatasourceIsTheProvisionedOne() throws IOException {
        String uid = provisionedUid();
        for (Dashboard d : dashboards()) {
            Set<String> datasourceVariables = new HashSet<>();
            d.json().path("templating").path("list").forEach(v -> {
                if (v.path("type").asText().equals("datasource")) {
                    datasourceVariables.add(v.path("name").asText());
                }
            });
            List<String> wrong = new ArrayList<>();
            checkDatasources(d.json(), "", uid, datasourceVariables, wrong);
            assertThat(wrong).as("%s: datasource references other than uid %s", d, uid).isEmpty();
            for (JsonNode p : d.panels()) {
                if (!p.path("type").asText().equals("row")) {
                    assertThat(p.has("datasource")).as("%s panel '%s' names no datasource", d, p.path("title").asText())
                            .isTrue();
                }
            }
        }
    }

    private static void checkDatasources(JsonNode node, String path, String uid, Set<String> variables, List<String> wrong) {
        if (node.isObject()) {
            node.properties().forEach(e -> {
                if (e.getKey().equals("datasource")) {
                    JsonNode ds = e.getValue();
                    String ref = ds.isObject() ? ds.path("uid").asText() : ds.asText();
                    boolean ok = ref.equals(uid) || variables.stream().anyMatch(v -> ref.equals("$" + v) || ref.equals("${" + v + "}"));
                    if (!ok || ds.isObject() && !ds.path("type").asText().equals("prometheus")) {
                        wrong.add(path + "/datasource = " + ds);
                    }
                } else {
                    checkDatasources(e.getValue(), path + "/" + e.getKey(), uid, variables, wrong);
                }
            });
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                checkDatasources(node.get(i), path + "/" + i, uid, variables, wrong);
            }
        }
    }

    @Test
    void everyVariableUsedIsDefinedAndEveryDefinedOneUsed() {
        for (Dashboard d : dashboards()) {
            Set<String> defined = d.variables();
            Set<String> used = new TreeSet<>();
            d.panels().forEach(p -> collectVariables(p, used));
            collectVariables(d.json().path("annotations"), used);
            collectVariables(d.json().path("templating"), used);
            collectVariables(d.json().path("title"), used);
            assertThat(defined).as("%s: variables used but not defined in templating", d).containsAll(used);
            assertThat(used).as("%s: variables defined but never used", d).containsAll(defined);
        }
    }

    private static void collectVariables(JsonNode node, Set<String> into) {
        if (node.isTextual()) {
            Matcher m = VARIABLE.matcher(node.asText());
            while (m.find()) {
                String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
                if (!name.startsWith("__")) {
                    into.add(name);
                }
            }
        } else if (node.isObject()) {
            // a variable's current value ($__all) and its options are Grafana's state, not a use
            node.properties().forEach(e -> {
                if (!e.getKey().equals("current") && !e.getKey().equals("options")) {
                    collectVariables(e.getValue(), into);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collectVariables(n, into));
        }
    }

    @Test
    void everyQueryAndRuleUsesOnlyExportedOrRecordedMetrics() throws IOException {
        Set<String> exported = exportedMetrics();
        Set<String> known = new HashSet<>(exported);
        known.addAll(recordedMetrics());
        for (Dashboard d : dashboards()) {
            d.expressions().forEach((where, expr) -> {
                assertThat(expr).as("%s %s: empty query", d, where).isNotBlank();
                assertThat(known).as("%s %s: metrics in `%s` that no service exports and no rule records", d, where, expr)
                        .containsAll(metricNames(expr));
            });
        }
        for (Path f : ruleFiles()) {
            for (JsonNode group : YAML.readTree(f.toFile()).path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    String expr = rule.path("expr").asText();
                    String name = rule.has("record") ? rule.path("record").asText() : rule.path("alert").asText();
                    assertThat(known).as("%s %s: metrics in `%s` that no service exports and no rule records",
                            f.getFileName(), name, expr).containsAll(metricNames(expr));
                }
            }
        }
    }

    @Test
    void everyRecordingRuleIsUsedByADashboardOrAnAlert() throws IOException {
        Set<String> used = new HashSet<>();
        for (Dashboard d : dashboards()) {
            d.expressions().values().forEach(e -> used.addAll(metricNames(e)));
        }
        for (Path f : ruleFiles()) {
            for (JsonNode group : YAML.readTree(f.toFile()).path("groups")) {
                group.path("rules").forEach(r -> {
                    if (r.has("alert")) {
                        used.addAll(metricNames(r.path("expr").asText()));
                    }
                });
            }
        }
        assertThat(used).as("recorded series nothing reads").containsAll(recordedMetrics());
    }

    @Test
    void metricNamesAreFoundInPromQl() {
        assertThat(metricNames("histogram_quantile(0.99, sum by (dev, le) (rate(jbd2_commit_total_seconds_bucket"
                + "{dev=~\"$dev\",le!=\"+Inf\"}[$__rate_interval] offset 5m)))"))
                .containsExactly("jbd2_commit_total_seconds_bucket");
        assertThat(metricNames("(rate(a_total{x=\"b_total\"}[1m]) > bool 0) * on (device) group_left (model) "
                + "node_disk_info / ignoring(op) b:c:rate1m - 1e-9 * time()"))
                .containsExactlyInAnyOrder("a_total", "node_disk_info", "b:c:rate1m");
        assertThat(metricNames("{__name__=\"up\"}")).isEmpty();
    }

    private static Set<String> exportedMetrics() throws IOException {
        Set<String> names = new HashSet<>();
        for (String line : Files.readAllLines(OBSERVABILITY.resolve("exported-metrics.txt"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                names.add(line.strip());
            }
        }
        assertThat(names).as("exported-metrics.txt").contains("up", "jbd2_commit_total_seconds_bucket");
        return names;
    }

    private static Set<String> recordedMetrics() throws IOException {
        Set<String> names = new HashSet<>();
        for (Path f : ruleFiles()) {
            for (JsonNode group : YAML.readTree(f.toFile()).path("groups")) {
                group.path("rules").forEach(r -> {
                    if (r.has("record")) {
                        names.add(r.path("record").asText());
                    }
                });
            }
        }
        return names;
    }

    /** The metric names a PromQL expression selects: identifiers that are not functions, keywords or labels. */
    static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"|'(\\\\.|[^'\\\\])*'|`[^`]*`", "\"\"")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?<![\\w.:$])[a-zA-Z_:][\\w:]*").matcher(s);
        while (m.find()) {
            String word = m.group();
            String rest = s.substring(m.end()).stripLeading();
            if (!rest.startsWith("(") && !PROMQL_WORDS.contains(word.toLowerCase(java.util.Locale.ROOT))) {
                names.add(word);
            }
        }
        return names;
    }
}
