package dev.ext4sim.launcher;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The REST API of DESIGN §8 as a test program uses it: one caller per process (X-Comm, X-Pid). */
public final class Rest {
    public static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Pattern FTRACE = Pattern.compile(
            "^\\s*(.+)-(\\d+)\\s+\\[(\\d{3})]\\s+\\S+\\s+(\\d+\\.\\d{6}): ([A-Za-z0-9_]+): ?(.*)$");

    private final int port;

    public Rest(int port) {
        this.port = port;
    }

    public Caller as(String comm, int pid) {
        return new Caller(comm, pid);
    }

    public record Reply(int status, String body, byte[] bytes, String traceId) {
        public int fd() {
            return Integer.parseInt(field("fd"));
        }

        public long written() {
            return Long.parseLong(field("written"));
        }

        public String errno() {
            Matcher m = Pattern.compile("\"errno\":\"([A-Z]+)\"").matcher(body);
            return m.find() ? m.group(1) : "none (" + status + " " + body + ")";
        }

        public String field(String name) {
            Matcher m = Pattern.compile("\"" + name + "\":(-?\\d+)").matcher(body);
            if (!m.find()) {
                throw new AssertionError("no " + name + " in " + status + " " + body);
            }
            return m.group(1);
        }
    }

    /** One ftrace text line, parsed. */
    public record Line(String comm, int pid, String timestamp, String event, String text, String raw) {
        public boolean isKernelEvent() {
            return !event.startsWith("ext4sim_");
        }
    }

    public final class Caller {
        private final String comm;
        private final int pid;

        Caller(String comm, int pid) {
            this.comm = comm;
            this.pid = pid;
        }

        public Reply open(String path, List<String> flags, String mode) throws Exception {
            StringBuilder json = new StringBuilder("{\"path\":\"" + path + "\",\"flags\":[");
            for (int i = 0; i < flags.size(); i++) {
                json.append(i == 0 ? "" : ",").append('"').append(flags.get(i)).append('"');
            }
            json.append(']');
            if (mode != null) {
                json.append(",\"mode\":\"").append(mode).append('"');
            }
            json.append('}');
            return send(request("/v1/open").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json.toString())));
        }

        public Reply write(int fd, byte[] data) throws Exception {
            return write(fd, -1, data);
        }

        /** offset -1: write at the file position; otherwise pwrite. */
        public Reply write(int fd, long offset, byte[] data) throws Exception {
            String q = offset < -1 || offset >= 0 ? "?offset=" + offset : "";
            return send(request("/v1/fds/" + fd + "/write" + q).header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(data)));
        }

        /** A write as `curl --data-binary` sends it without a Content-Type of its own: as a form. */
        public Reply writeAsForm(int fd, long offset, byte[] data) throws Exception {
            return send(request("/v1/fds/" + fd + "/write?offset=" + offset)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(data)));
        }

        public Reply post(String path) throws Exception {
            return send(request(path).POST(HttpRequest.BodyPublishers.noBody()));
        }

        public Reply postJson(String path, String json) throws Exception {
            return send(request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
        }

        public Reply put(String path, String body) throws Exception {
            return send(request(path).header("Content-Type", "text/plain").PUT(HttpRequest.BodyPublishers.ofString(body)));
        }

        public Reply get(String path) throws Exception {
            return send(request(path).GET());
        }

        /** open O_RDONLY, read it all (pread from 0), close. */
        public byte[] readFile(String path) throws Exception {
            Reply open = open(path, List.of("O_RDONLY"), null);
            if (open.status() != 200) {
                throw new AssertionError("open " + path + ": " + open.body());
            }
            int fd = open.fd();
            Reply size = get("/v1/stat?path=" + URLEncoder.encode(path, StandardCharsets.UTF_8));
            long length = Long.parseLong(size.field("size"));
            Reply read = get("/v1/fds/" + fd + "/read?offset=0&length=" + (length + 1));
            post("/v1/fds/" + fd + "/close");
            if (read.status() != 200) {
                throw new AssertionError("read " + path + ": " + read.body());
            }
            return read.bytes();
        }

        private HttpRequest.Builder request(String path) {
            return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .header("X-Comm", comm).header("X-Pid", Integer.toString(pid)).timeout(Duration.ofSeconds(60));
        }
    }

    public Reply send(HttpRequest.Builder request) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), new String(r.body(), StandardCharsets.UTF_8), r.body(),
                r.headers().firstValue("X-Trace-Id").orElse(""));
    }

    /** The trace lines of a query (e.g. "task=demo", "trace=ID"), waiting until one satisfies {@code until}. */
    public List<Line> traceUntil(String query, Predicate<Line> until) throws Exception {
        return traceUntilAll(query, lines -> lines.stream().anyMatch(until));
    }

    /** The trace lines of a query, waiting until they satisfy {@code until} as a whole. */
    public List<Line> traceUntilAll(String query, Predicate<List<Line>> until) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        List<Line> lines = List.of();
        while (System.nanoTime() < deadline) {
            HttpRequest.Builder get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/trace?" + query))
                    .timeout(Duration.ofSeconds(30)).GET();
            lines = send(get).body().lines().filter(l -> !l.startsWith("#")).map(Rest::parse).toList();
            if (until.test(lines)) {
                return lines;
            }
            Thread.sleep(200); // polling pace while the trace topic catches up; the deadline decides
        }
        throw new AssertionError("no line satisfying the condition for ?" + query + " within 60 s; got:\n"
                + String.join("\n", lines.stream().map(Line::raw).toList()));
    }

    public static Line parse(String raw) {
        Matcher m = FTRACE.matcher(raw);
        if (!m.matches()) {
            throw new AssertionError("not an ftrace line: '" + raw + "'");
        }
        return new Line(m.group(1).trim(), Integer.parseInt(m.group(2)), m.group(4), m.group(5), m.group(6), raw);
    }
}
