package dev.ext4sim.launcher.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ext4sim.launcher.Component;
import dev.ext4sim.launcher.LauncherIT;
import dev.ext4sim.launcher.Rest;
import dev.ext4sim.launcher.Settings;
import dev.ext4sim.launcher.Stack;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The dashboards against the live stack and the Prometheus `up` starts with the repository's configuration: a
 * workload that writes, fsyncs, truncates, is throttled, and lives through a SIGKILLed and restarted jbd2-service;
 * then, through Prometheus's HTTP API, every target is up, every query of every panel of every dashboard returns a
 * series, the commit-latency panels show values the jbd2 trace of the same run allows, and the restart shows as an
 * annotation. One stack on a free port block, its Prometheus on one of them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObservabilityIT {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final ObjectMapper JSON = new ObjectMapper();
    /** How long Prometheus may take to scrape and evaluate after the workload (2 s intervals; a loaded 2-core CI). */
    static final Duration SCRAPE_DEADLINE = Duration.ofSeconds(90);
    /** Grafana's macros at the provisioned 2 s scrape interval: $__rate_interval = max(4 × scrape, ...) = 8 s. */
    static final Map<String, String> MACROS = Map.of("__rate_interval", "8s", "__rate_interval_ms", "8000",
            "__interval", "2s", "__interval_ms", "2000", "__range", "5m", "__range_s", "300", "__range_ms", "300000");
    /** Allowance between the trace's and the timer's readings of one commit: two clock reads apart, a GC pause at worst. */
    static final double CLOCK_SLACK_SECONDS = 0.005;

    static Settings settings;
    static Stack stack;
    static Rest rest;
    static String prometheus;
    static final ByteArrayOutputStream output = new ByteArrayOutputStream();
    /** Unix times in seconds: the workload's start, the SIGKILL of jbd2-service, the workload's end. */
    static double workloadStart;
    static double killedAt;
    static double workloadEnd;
    /** The instant the checks evaluate at: after two scrapes and a rule evaluation that follow the workload. */
    static double evaluatedAt;

    @BeforeAll
    static void upWithPrometheus() throws Exception {
        Path home = Files.createTempDirectory(ROOT.resolve("launcher").resolve("target"), "observability-");
        int base = LauncherIT.freePortBlock(10);
        // gateway..blockdev on base..base+5, Prometheus on base+6, the broker on base+8 and its controller on base+9
        settings = new Settings(ROOT, home, base, base + 8, base + 6, "");
        prometheus = "http://127.0.0.1:" + settings.port(Component.PROMETHEUS);
        stack = new Stack(settings, new PrintStream(output, true, StandardCharsets.UTF_8));
        assertThat(stack.up()).as(output.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(output.toString(StandardCharsets.UTF_8)).as("up prints the local Prometheus's URL")
                .contains("Prometheus   " + prometheus);
        rest = new Rest(settings.port(Component.SERVICES.getFirst()));
    }

    @AfterAll
    static void down() {
        if (stack != null) {
            stack.down();
        }
        System.out.println(output.toString(StandardCharsets.UTF_8));
    }

    // ---- the workload -------------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void aWorkloadThatWritesSyncsTruncatesIsThrottledAndOutlivesAJbd2Restart() throws Exception {
        workloadStart = now();
        Rest.Caller w = rest.as("obs-writer", 4001);
        Random random = new Random(4001);
        byte[] chunk = new byte[16 << 10];
        int fd = w.open("/observed", List.of("O_CREAT", "O_RDWR"), "0644").fd();
        for (int i = 0; i < 8; i++) {
            random.nextBytes(chunk);
            assertThat(w.write(fd, (long) i * chunk.length, chunk).written()).isEqualTo(chunk.length);
            if (i % 2 == 1) {
                assertThat(w.post("/v1/fds/" + fd + (i % 4 == 1 ? "/fsync" : "/fdatasync")).body()).isEqualTo("{\"ret\":0}");
            }
        }
        assertThat(w.postJson("/v1/fds/" + fd + "/ftruncate", "{\"length\":20000}").body()).isEqualTo("{\"ret\":0}");
        assertThat(w.post("/v1/fds/" + fd + "/fsync").body()).isEqualTo("{\"ret\":0}");
        // a failing call, for the panels of errors by errno
        assertThat(w.write(99, chunk).errno()).isEqualTo("EBADF");
        int osync = w.open("/observed-osync", List.of("O_CREAT", "O_RDWR", "O_SYNC"), "0644").fd();
        assertThat(w.write(osync, chunk).written()).isEqualTo(chunk.length);
        assertThat(w.post("/v1/fds/" + osync + "/close").body()).isEqualTo("{\"ret\":0}");

        throttle();

        // Before the SIGKILL every commit must be in the gateway's trace (the commit-latency check below relies on
        // it): sync leaves nothing dirty for a timer commit to carry, and a trace read makes every service hand over
        // the events it holds to batch.
        random.nextBytes(chunk);
        assertThat(w.write(fd, 0, chunk).written()).isEqualTo(chunk.length);
        assertThat(w.post("/v1/fds/" + fd + "/fsync").body()).isEqualTo("{\"ret\":0}");
        assertThat(w.post("/v1/sync").body()).isEqualTo("{\"ret\":0}");
        rest.traceUntil("task=jbd2", l -> l.event().equals("jbd2_run_stats"));
        killedAt = now();
        assertThat(stack.kill("jbd2-service")).isZero();
        assertThat(stack.start("jbd2-service")).isZero();
        System.out.printf("jbd2-service killed at %.3f and healthy again %.1f s later%n", killedAt, now() - killedAt);

        for (int i = 0; i < 4; i++) {
            random.nextBytes(chunk);
            assertThat(w.write(fd, (long) i * chunk.length, chunk).written()).isEqualTo(chunk.length);
            assertThat(w.post("/v1/fds/" + fd + "/fsync").body()).isEqualTo("{\"ret\":0}");
        }
        int after = w.open("/observed-after-restart", List.of("O_CREAT", "O_RDWR"), "0644").fd();
        assertThat(w.write(after, chunk).written()).isEqualTo(chunk.length);
        assertThat(w.postJson("/v1/fds/" + after + "/ftruncate", "{\"length\":100}").body()).isEqualTo("{\"ret\":0}");
        assertThat(w.post("/v1/fds/" + after + "/fdatasync").body()).isEqualTo("{\"ret\":0}");
        assertThat(w.post("/v1/fds/" + after + "/close").body()).isEqualTo("{\"ret\":0}");
        assertThat(w.post("/v1/fds/" + fd + "/close").body()).isEqualTo("{\"ret\":0}");
        workloadEnd = now();

        evaluatedAt = awaitTwoScrapesAndARuleEvaluationAfter(workloadEnd);
        System.out.printf("workload %.1f s; Prometheus scraped every target twice and evaluated its rules %.1f s after it%n",
                workloadEnd - workloadStart, evaluatedAt - workloadEnd);
    }

    /** A writer over a dirty limit of two pages, as WritePathIT's, so that balance_dirty_pages pauses it. */
    static void throttle() throws Exception {
        Rest.Caller admin = rest.as("obs-sysctl", 4009);
        assertThat(admin.post("/v1/sync").body()).isEqualTo("{\"ret\":0}");
        Rest.Caller writer = rest.as("obs-throttle", 4010);
        byte[] chunk = new byte[8 * 4096];
        new Random(4010).nextBytes(chunk);
        try {
            assertThat(admin.put("/v1/sysctl/vm.dirty_background_bytes", "4096").body()).contains("\"value\":\"4096\"");
            assertThat(admin.put("/v1/sysctl/vm.dirty_bytes", "8192").body()).contains("\"value\":\"8192\"");
            int fd = writer.open("/observed-throttled", List.of("O_CREAT", "O_RDWR"), "0644").fd();
            for (int i = 0; i < 20; i++) {
                assertThat(writer.write(fd, (long) i * chunk.length, chunk).written()).isEqualTo(chunk.length);
            }
            rest.traceUntil("task=obs-throttle", l -> l.event().equals("balance_dirty_pages"));
            assertThat(writer.post("/v1/fds/" + fd + "/fsync").body()).isEqualTo("{\"ret\":0}");
            assertThat(writer.post("/v1/fds/" + fd + "/close").body()).isEqualTo("{\"ret\":0}");
        } finally {
            // writing a ratio clears the bytes, as in the kernel
            admin.put("/v1/sysctl/vm.dirty_background_ratio", "10");
            admin.put("/v1/sysctl/vm.dirty_ratio", "20");
        }
        assertThat(admin.get("/v1/sysctl/vm.dirty_bytes").body()).contains("\"value\":\"0\"");
    }

    // ---- what Prometheus has ------------------------------------------------------------------------------------------

    @Test
    @Order(2)
    void everyTargetIsUp() throws Exception {
        JsonNode targets = api("/api/v1/targets", Map.of("state", "active")).path("activeTargets");
        List<String> jobs = new ArrayList<>();
        for (JsonNode t : targets) {
            String job = t.path("labels").path("job").asText();
            jobs.add(job);
            System.out.printf("target %-18s %-22s %s, last scrape %s%s%n", job, t.path("labels").path("instance").asText(),
                    t.path("health").asText(), t.path("lastScrape").asText(),
                    t.path("lastError").asText().isEmpty() ? "" : " (" + t.path("lastError").asText() + ")");
            assertThat(t.path("health").asText()).as("%s: %s", job, t.path("lastError").asText()).isEqualTo("up");
        }
        assertThat(jobs).containsAll(Component.SERVICES.stream().map(Component::name).toList());
    }

    @Test
    @Order(3)
    void everyQueryOfEveryPanelReturnsASeries() throws Exception {
        List<String> empty = new ArrayList<>();
        int queries = 0;
        for (Dashboard d : dashboards()) {
            for (Map<String, String> variables : d.variableSets()) {
                System.out.printf("%s with %s%n", d.name(), variables);
                for (Map.Entry<String, String> q : d.panelQueries().entrySet()) {
                    String expr = substitute(q.getValue(), variables);
                    JsonNode result = api("/api/v1/query_range", Map.of("query", expr, "start", seconds(workloadStart),
                            "end", seconds(evaluatedAt), "step", "2"));
                    queries++;
                    System.out.printf("  %-60s %3d series, last %s%n", q.getKey(), result.path("result").size(), last(result));
                    if (result.path("result").isEmpty()) {
                        empty.add(d.name() + " " + q.getKey() + " with " + variables + ": " + expr);
                    }
                }
            }
        }
        System.out.println(queries + " panel queries, " + empty.size() + " without a series");
        assertThat(empty).as("queries that return no series").isEmpty();
    }

    /**
     * The commit-latency panels against the trace of the same run. Each commit is timed once by the jbd2_commit_total
     * timer (T_FLUSH to just before jbd2_run_stats) and traced once: jbd2_commit_flushing right after the T_FLUSH
     * clock read, jbd2_run_stats right after the closing one, so the two timestamps bound the same interval up to
     * {@link #CLOCK_SLACK_SECONDS}. The trace holds every commit of the run (the ring buffer did not wrap, and the
     * SIGKILL came after a trace read); so every observation in any rate window lies in [fastest, slowest] traced.
     * histogram_quantile interpolates inside the bucket its rank falls in; buckets below the fastest commit have a
     * zero rate and every bucket from the slowest one's up has the same series as +Inf, so the quantile lies between
     * the bucket bound below the fastest commit and the bound at or above the slowest. A max is an observation.
     */
    @Test
    @Order(4)
    void commitLatencyPanelsShowValuesTheJbd2TraceAllows() throws Exception {
        List<Rest.Line> lines = rest.traceUntil("task=jbd2", l -> l.event().equals("jbd2_run_stats"));
        Map<String, Double> flushingAt = new HashMap<>();
        List<Double> commits = new ArrayList<>();
        double jiffyMin = Double.MAX_VALUE;
        double jiffyMax = 0;
        for (Rest.Line l : lines) {
            if (l.event().equals("jbd2_commit_flushing")) {
                flushingAt.put(field(l.text(), "transaction"), Double.parseDouble(l.timestamp()));
            } else if (l.event().equals("jbd2_run_stats")) {
                Double from = flushingAt.remove(field(l.text(), "tid"));
                if (from != null) {
                    commits.add(Double.parseDouble(l.timestamp()) - from);
                    double ms = Long.parseLong(field(l.text(), "flushing")) + Long.parseLong(field(l.text(), "logging"));
                    jiffyMin = Math.min(jiffyMin, ms / 1000);
                    jiffyMax = Math.max(jiffyMax, ms / 1000);
                }
            }
        }
        assertThat(commits).as("commits in the trace").hasSizeGreaterThan(3);
        double fastest = commits.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double slowest = commits.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        System.out.printf("jbd2 trace: %d commits, T_FLUSH to jbd2_run_stats %.6f .. %.6f s (flushing + logging %.3f .. %.3f s)%n",
                commits.size(), fastest, slowest, jiffyMin, jiffyMax);
        // the buffer kept every event: what it holds is what was written
        String header = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + settings.port(Component.SERVICES.getFirst())
                + "/v1/trace?task=none-such")).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher written = Pattern.compile("entries-in-buffer/entries-written: \\d+/(\\d+)").matcher(header);
        assertThat(written.find()).as(header).isTrue();
        assertThat(Long.parseLong(written.group(1))).as("trace events written, against the gateway's 200000-event buffer")
                .isLessThan(200_000);
        // the running jbd2-service counted no commit the trace lacks (trace timestamps count from the stack's boot)
        double boot = Long.parseLong(Files.readString(settings.run().resolve("boot")).strip()) / 1e9;
        double counted = value(api("/api/v1/query", Map.of("query", "sum(jbd2_transactions_total)", "time", seconds(evaluatedAt))));
        long tracedSinceRestart = lines.stream().filter(l -> l.event().equals("jbd2_run_stats")
                && Double.parseDouble(l.timestamp()) > killedAt - boot).count();
        System.out.printf("jbd2_transactions_total of the restarted jbd2-service: %.0f; jbd2_run_stats in the trace: %d%n",
                counted, tracedSinceRestart);
        assertThat(counted).isLessThanOrEqualTo(tracedSinceRestart);

        TreeSet<Double> bounds = new TreeSet<>();
        for (JsonNode s : api("/api/v1/series", Map.of("match[]", "jbd2_commit_total_seconds_bucket"))) {
            String le = s.path("le").asText();
            if (!le.equals("+Inf")) {
                bounds.add(Double.parseDouble(le));
            }
        }
        double low = Optional.ofNullable(bounds.lower(fastest - CLOCK_SLACK_SECONDS)).orElse(0.0);
        double high = Optional.ofNullable(bounds.ceiling(slowest + CLOCK_SLACK_SECONDS)).orElse(Double.MAX_VALUE);
        System.out.printf("so a quantile lies in [%.6f, %.6f] s (bucket bounds), a max in [%.6f, %.6f] s%n", low, high,
                fastest - CLOCK_SLACK_SECONDS, slowest + CLOCK_SLACK_SECONDS);

        int checked = 0;
        for (Dashboard d : dashboards()) {
            Map<String, String> variables = d.variableSets().getFirst();
            for (Map.Entry<String, String> q : d.panelQueries().entrySet()) {
                String expr = substitute(q.getValue(), variables);
                boolean quantile = expr.contains("jbd2_commit_total_seconds") && expr.contains("quantile");
                boolean max = expr.contains("jbd2_commit_total_seconds_max");
                if (!quantile && !max) {
                    continue;
                }
                JsonNode result = api("/api/v1/query", Map.of("query", expr, "time", seconds(evaluatedAt))).path("result");
                assertThat(result).as("%s %s: %s", d.name(), q.getKey(), expr).isNotEmpty();
                for (JsonNode s : result) {
                    double v = Double.parseDouble(s.path("value").get(1).asText());
                    System.out.printf("  %s %-50s %s = %.6f s%n", d.name(), q.getKey(), s.path("metric"), v);
                    assertThat(v).as("%s %s %s: no commit in its window?", d.name(), q.getKey(), s.path("metric")).isNotNaN();
                    if (quantile) {
                        assertThat(v).as("%s %s %s", d.name(), q.getKey(), s.path("metric")).isBetween(low, high);
                    } else {
                        assertThat(v).as("%s %s %s", d.name(), q.getKey(), s.path("metric"))
                                .isBetween(fastest - CLOCK_SLACK_SECONDS, slowest + CLOCK_SLACK_SECONDS);
                    }
                    checked++;
                }
            }
        }
        assertThat(checked).as("commit-latency values checked").isPositive();
    }

    /**
     * Every annotation query returns a series after the restart, and a jbd2-service one. For the `(time() - T) < N`
     * form (a start or a recovery at Unix time T), its value at t gives T = t - value, which must be the restart's and
     * not the first start's. Evaluated at a 1 s step: a query's answer, whatever step a Grafana uses.
     */
    @Test
    @Order(5)
    void theJbd2RestartShowsAsAnAnnotation() throws Exception {
        Pattern since = Pattern.compile("^\\(?\\s*time\\(\\)\\s*-\\s*.+\\)?\\s*<\\s*\\d+\\s*$");
        int checked = 0;
        for (Dashboard d : dashboards()) {
            for (JsonNode a : d.json().path("annotations").path("list")) {
                if (!a.has("expr")) {
                    continue;
                }
                String expr = substitute(a.path("expr").asText(), d.variableSets().getFirst());
                JsonNode result = api("/api/v1/query_range", Map.of("query", expr, "start", seconds(killedAt - 10),
                        "end", seconds(evaluatedAt), "step", "1")).path("result");
                boolean timeForm = since.matcher(expr).matches();
                double latest = -1;
                for (JsonNode s : result) {
                    if (!s.path("metric").path("job").asText().equals("jbd2-service")) {
                        continue;
                    }
                    for (JsonNode point : s.path("values")) {
                        double t = point.get(0).asDouble();
                        double at = timeForm ? t - Double.parseDouble(point.get(1).asText()) : t;
                        latest = Math.max(latest, at);
                    }
                }
                System.out.printf("%s annotation '%s': %d series; jbd2-service's %s %.3f s after the kill%n", d.name(),
                        a.path("name").asText(), result.size(), timeForm ? "event (t - value)" : "last point", latest - killedAt);
                assertThat(latest).as("%s annotation '%s' (%s) after the kill at %.3f", d.name(), a.path("name").asText(),
                        expr, killedAt).isGreaterThanOrEqualTo(killedAt - 1);
                checked++;
            }
        }
        assertThat(checked).as("annotation queries").isPositive();
    }

    @Test
    @Order(6)
    void downStopsPrometheusToo() throws Exception {
        String mark = "--storage.tsdb.path=" + settings.prometheusHome().resolve("data");
        List<ProcessHandle> ours = ProcessHandle.allProcesses()
                .filter(h -> h.info().arguments().map(a -> List.of(a).contains(mark)).orElse(false)).toList();
        assertThat(ours).as("the stack's Prometheus").hasSize(1);
        assertThat(stack.down()).isZero();
        assertThat(ours.getFirst().isAlive()).isFalse();
        try (ServerSocket s = new ServerSocket(settings.port(Component.PROMETHEUS))) {
            assertThat(s.isBound()).as("Prometheus's port is free again").isTrue();
        }
        assertThat(output.toString(StandardCharsets.UTF_8)).containsPattern("prometheus +stopped");
    }

    // ---- Prometheus -----------------------------------------------------------------------------------------------------

    /**
     * Waits until every target was scraped twice after {@code after} and every rule group evaluated after that, and
     * returns the time of that evaluation. Polls against a deadline; a target that stays down is reported by the next
     * test, not here.
     */
    static double awaitTwoScrapesAndARuleEvaluationAfter(double after) throws Exception {
        long deadline = System.nanoTime() + SCRAPE_DEADLINE.toNanos();
        double since = after;
        for (int round = 0; round < 2; round++) {
            double latest = since;
            while (true) {
                JsonNode targets = api("/api/v1/targets", Map.of("state", "active")).path("activeTargets");
                double oldest = Double.MAX_VALUE;
                for (JsonNode t : targets) {
                    double scraped = unix(t.path("lastScrape").asText());
                    oldest = Math.min(oldest, t.path("health").asText().equals("up") ? scraped : 0);
                    latest = Math.max(latest, scraped);
                }
                if (!targets.isEmpty() && oldest > since) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    System.out.println("not every target was scraped (up) twice within " + SCRAPE_DEADLINE.toSeconds() + " s");
                    return now();
                }
                Thread.sleep(250); // polling pace; the deadline decides
            }
            since = latest;
        }
        while (System.nanoTime() < deadline) {
            JsonNode groups = api("/api/v1/rules", Map.of()).path("groups");
            double oldest = Double.MAX_VALUE;
            for (JsonNode g : groups) {
                oldest = Math.min(oldest, unix(g.path("lastEvaluation").asText()));
            }
            if (!groups.isEmpty() && oldest > since) {
                return oldest;
            }
            Thread.sleep(250); // polling pace; the deadline decides
        }
        System.out.println("the rules were not evaluated after the second scrape within " + SCRAPE_DEADLINE.toSeconds() + " s");
        return now();
    }

    /** The "data" of a Prometheus API answer, after checking it succeeded. */
    static JsonNode api(String path, Map<String, String> params) throws Exception {
        StringBuilder query = new StringBuilder();
        for (Map.Entry<String, String> p : params.entrySet()) {
            query.append(query.isEmpty() ? "?" : "&").append(p.getKey()).append('=')
                    .append(URLEncoder.encode(p.getValue(), StandardCharsets.UTF_8));
        }
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(prometheus + path + query))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("status").asText()).as("%s%s: %s", path, params, r.body()).isEqualTo("success");
        return body.path("data");
    }

    static double value(JsonNode instant) {
        JsonNode result = instant.path("result");
        assertThat(result).as("an instant vector of one series").hasSize(1);
        return Double.parseDouble(result.get(0).path("value").get(1).asText());
    }

    /** The last value of each series of a range query, for the log. */
    static String last(JsonNode range) {
        List<String> values = new ArrayList<>();
        for (JsonNode s : range.path("result")) {
            JsonNode v = s.path("values");
            values.add(v.isEmpty() ? "-" : v.get(v.size() - 1).get(1).asText());
            if (values.size() == 4) {
                values.add("...");
                break;
            }
        }
        return String.join(" ", values);
    }

    // ---- the dashboards -----------------------------------------------------------------------------------------------

    record Dashboard(Path file, JsonNode json, List<Map<String, String>> variableSets) {
        String name() {
            return file.getFileName().toString();
        }

        /** Every panel's targets, rows' panels included, by "panel ID 'TITLE' REFID". */
        Map<String, String> panelQueries() {
            Map<String, String> queries = new LinkedHashMap<>();
            List<JsonNode> panels = new ArrayList<>();
            json.path("panels").forEach(p -> {
                panels.add(p);
                p.path("panels").forEach(panels::add);
            });
            for (JsonNode p : panels) {
                for (JsonNode t : p.path("targets")) {
                    if (t.has("expr")) {
                        queries.put("panel " + p.path("id").asInt() + " '" + p.path("title").asText() + "' "
                                + t.path("refId").asText(), t.path("expr").asText());
                    }
                }
            }
            return queries;
        }
    }

    static List<Dashboard> dashboards() throws Exception {
        List<Dashboard> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(ROOT.resolve("observability/grafana/dashboards"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                JsonNode json = JSON.readTree(f.toFile());
                all.add(new Dashboard(f, json, variableSets(f.getFileName().toString(), json)));
            }
        }
        assertThat(all).as("dashboards").isNotEmpty();
        return all;
    }

    /**
     * The values a Grafana would give the dashboard's variables, from what Prometheus has: each query variable's
     * first value (in the order of the variables, which may use the earlier ones), and, where a variable offers "All",
     * a second set with its all-value.
     */
    static List<Map<String, String>> variableSets(String name, JsonNode json) throws Exception {
        Map<String, String> first = new LinkedHashMap<>();
        Map<String, String> all = new LinkedHashMap<>();
        boolean anyAll = false;
        Pattern labelValues = Pattern.compile("^label_values\\((?:(.*),)?\\s*([\\w.]+)\\s*\\)$");
        for (JsonNode v : json.path("templating").path("list")) {
            String var = v.path("name").asText();
            String type = v.path("type").asText();
            String value;
            if (type.equals("query")) {
                String q = v.path("query").isObject() ? v.path("query").path("query").asText() : v.path("query").asText();
                Matcher m = labelValues.matcher(q.strip());
                assertThat(m.matches()).as("%s: variable $%s's query %s is label_values(...)", name, var, q).isTrue();
                String label = m.group(2);
                TreeSet<String> values = new TreeSet<>();
                if (m.group(1) == null) {
                    api("/api/v1/label/" + label + "/values", Map.of()).forEach(x -> values.add(x.asText()));
                } else {
                    api("/api/v1/series", Map.of("match[]", substitute(m.group(1), first), "start", seconds(workloadStart)))
                            .forEach(s -> values.add(s.path(label).asText()));
                    values.remove("");
                }
                assertThat(values).as("%s: values of $%s (%s)", name, var, q).isNotEmpty();
                value = values.first();
            } else if (type.equals("custom") || type.equals("interval")) {
                value = v.path("query").asText().split(",")[0].strip();
            } else if (type.equals("constant") || type.equals("textbox")) {
                value = v.path("query").asText();
            } else {
                continue; // datasource variables: the queries name the datasource by uid
            }
            first.put(var, value);
            if (v.path("includeAll").asBoolean()) {
                anyAll = true;
                all.put(var, v.path("allValue").asText(".*").isEmpty() ? ".*" : v.path("allValue").asText());
            } else {
                all.put(var, value);
            }
        }
        return anyAll ? List.of(first, all) : List.of(first);
    }

    /** Grafana's substitution of $name, ${name}, ${name:format} and [[name]], with the macros beside the variables. */
    static String substitute(String expr, Map<String, String> variables) {
        Matcher m = Pattern.compile("\\$\\{(\\w+)(?::[^}]*)?}|\\$(\\w+)|\\[\\[(\\w+)]]").matcher(expr);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            String value = variables.containsKey(name) ? variables.get(name) : MACROS.get(name);
            assertThat(value).as("a value for $%s in %s", name, expr).isNotNull();
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    // ---- helpers --------------------------------------------------------------------------------------------------------

    static double now() {
        Instant i = Instant.now();
        return i.getEpochSecond() + i.getNano() / 1e9;
    }

    static double unix(String rfc3339) {
        if (rfc3339.isEmpty() || rfc3339.startsWith("0001-")) {
            return 0;
        }
        Instant i = OffsetDateTime.parse(rfc3339).toInstant();
        return i.getEpochSecond() + i.getNano() / 1e9;
    }

    static String seconds(double unix) {
        return String.format(java.util.Locale.ROOT, "%.3f", unix);
    }

    /** The value after {@code name} in a tracepoint's text ("tid 4" gives "4"). */
    static String field(String text, String name) {
        Matcher m = Pattern.compile("\\b" + name + " (\\S+)").matcher(text);
        assertThat(m.find()).as("%s in '%s'", name, text).isTrue();
        return m.group(1);
    }
}
