package dev.ext4sim.launcher;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Malformed REST calls, drawn from a seeded {@link Random}: broken and mistyped JSON, bad fds, bad offsets and lengths,
 * flags and modes that do not parse, paths with NUL bytes or too long, encoded oddities in the URL, wrong methods and
 * content types, unknown routes and sysctls, and calls the filesystem must refuse (O_EXCL on an existing file, a write
 * on a read-only fd, mkdir of what exists, unlink of a directory). Every call is wrong by construction, so none may
 * succeed and none may change the filesystem.
 */
final class RestFuzz {
    /** One call: what it is (for a failure's message) and the request. */
    record Call(String what, HttpRequest request) {
    }

    private final Random random;
    private final int port;
    private final String comm;
    private final int pid;
    /** An existing file, and an fd of {@link #comm} open on it O_RDONLY. */
    private final String existing;
    private final int readOnlyFd;
    private final List<Supplier<Call>> kinds;

    RestFuzz(long seed, int port, String comm, int pid, String existing, int readOnlyFd) {
        this.random = new Random(seed);
        this.port = port;
        this.comm = comm;
        this.pid = pid;
        this.existing = existing;
        this.readOnlyFd = readOnlyFd;
        this.kinds = List.of(this::truncatedJson, this::mistypedOpen, this::refusedOpen, this::badFd,
                this::refusedOnReadOnlyFd, this::wrongMethod, this::unknownRoute, this::wrongContentType,
                this::encodedOddity, this::badSysctl, this::refusedNamespaceCall, this::badTraceQuery);
    }

    Call next() {
        return kinds.get(random.nextInt(kinds.size())).get();
    }

    // ---- the kinds of malformed call ----------------------------------------------------------------------------------

    /** Any proper prefix of a JSON object is not JSON. */
    private Call truncatedJson() {
        String full = pick("{\"path\":\"/fz-" + word() + "\",\"flags\":[\"O_CREAT\",\"O_RDWR\"],\"mode\":\"0644\"}",
                "{\"path\":\"/fz-" + word() + "\",\"mode\":\"0755\"}", "{\"length\":" + random.nextInt(100000) + "}");
        String cut = full.substring(0, random.nextInt(full.length()));
        String route = full.contains("length") ? "/v1/fds/" + readOnlyFd + "/ftruncate"
                : full.contains("flags") ? "/v1/open" : "/v1/mkdir";
        return json("POST", route, cut);
    }

    private Call mistypedOpen() {
        String fresh = "/fz-" + word();
        String body = pick(
                "{\"path\":" + random.nextInt() + ",\"flags\":[\"O_CREAT\",\"O_RDWR\"]}",
                "{\"path\":\"" + fresh + "\",\"flags\":\"O_CREAT\"}",
                "{\"path\":\"" + fresh + "\",\"flags\":[null]}",
                "{\"path\":\"" + fresh + "\",\"flags\":[\"O_CREAT\",null,\"O_RDWR\"]}",
                "{\"path\":\"" + fresh + "\",\"flags\":[{\"a\":1}]}",
                "{\"path\":\"" + fresh + "\",\"flags\":[\"O_CREAT\",\"O_" + word().toUpperCase() + "\"]}",
                "{\"path\":\"" + fresh + "\",\"flags\":[\"O_CREAT\",\"O_RDWR\"],\"mode\":\"" + pick("9z", "0x1ff", "-5", "88", "07777777") + "\"}",
                "{\"path\":\"" + fresh + "\",\"flags\":[\"O_CREAT\",\"O_RDWR\"],\"mode\":" + pick("[]", "{}", "true", "1e99") + "}",
                "{\"path\":null,\"flags\":[\"O_CREAT\",\"O_RDWR\"]}",
                "{}", "[]", "\"" + word() + "\"", "null", "{\"flags\":[\"O_CREAT\"]}",
                "{\"path\":\"" + fresh + "\\u0000x\",\"flags\":[\"O_CREAT\",\"O_RDWR\"]}");
        return json("POST", "/v1/open", body);
    }

    /** Well-formed opens the filesystem must refuse. */
    private Call refusedOpen() {
        String body = switch (random.nextInt(6)) {
            case 0 -> "{\"path\":\"" + existing + "\",\"flags\":[\"O_CREAT\",\"O_EXCL\",\"O_RDWR\"],\"mode\":\"0644\"}";
            case 1 -> "{\"path\":\"/fz-missing-" + word() + "/f\",\"flags\":[\"O_CREAT\",\"O_RDWR\"],\"mode\":\"0644\"}";
            case 2 -> "{\"path\":\"/" + "n".repeat(256 + random.nextInt(300)) + "\",\"flags\":[\"O_CREAT\",\"O_RDWR\"]}";
            case 3 -> "{\"path\":\"" + "/d".repeat(2048 + random.nextInt(100)) + "\",\"flags\":[\"O_CREAT\",\"O_RDWR\"]}";
            case 4 -> "{\"path\":\"" + existing + "\",\"flags\":[\"O_RDWR\",\"O_WRONLY\"]}";
            default -> "{\"path\":\"" + existing + "\",\"flags\":[\"O_RDONLY\",\"O_DIRECTORY\"]}";
        };
        return json("POST", "/v1/open", body);
    }

    private Call badFd() {
        String fd = pick("-1", "abc", "2147483648", "99999999999", "1.5", "0x3", Integer.toString(500 + random.nextInt(500)));
        String op = pick("write", "fsync", "fdatasync", "close", "read", "ftruncate");
        return switch (op) {
            case "write" -> bytes("POST", "/v1/fds/" + fd + "/write", randomBytes(random.nextInt(64)));
            case "read" -> call("GET", "/v1/fds/" + fd + "/read?offset=0&length=16", null, null);
            case "ftruncate" -> json("POST", "/v1/fds/" + fd + "/ftruncate", "{\"length\":0}");
            default -> call("POST", "/v1/fds/" + fd + "/" + op, null, null);
        };
    }

    private Call refusedOnReadOnlyFd() {
        String fd = Integer.toString(readOnlyFd);
        return switch (random.nextInt(6)) {
            case 0 -> bytes("POST", "/v1/fds/" + fd + "/write", randomBytes(1 + random.nextInt(64)));
            case 1 -> bytes("POST", "/v1/fds/" + fd + "/write?offset=" + -(1 + random.nextInt(1000)), randomBytes(8));
            case 2 -> json("POST", "/v1/fds/" + fd + "/ftruncate", "{\"length\":" + random.nextInt(1000) + "}");
            case 3 -> json("POST", "/v1/fds/" + fd + "/ftruncate", "{\"length\":-" + (1 + random.nextInt(1000)) + "}");
            case 4 -> call("GET", "/v1/fds/" + fd + "/read?offset=-" + (1 + random.nextInt(100)) + "&length=8", null, null);
            default -> call("GET", "/v1/fds/" + fd + "/read?offset=0&length=" + pick("-1", "abc", "1e3"), null, null);
        };
    }

    private Call wrongMethod() {
        return switch (random.nextInt(5)) {
            case 0 -> call("GET", "/v1/open", null, null);
            case 1 -> call("PUT", "/v1/fds/" + readOnlyFd + "/fsync", null, null);
            case 2 -> call("DELETE", "/v1/sync", null, null);
            case 3 -> call("PATCH", "/v1/stat?path=" + existing, null, null);
            default -> call("GET", "/v1/mkdir", null, null);
        };
    }

    private Call unknownRoute() {
        String path = pick("/v1/" + word(), "/v2/open", "/v1/fds/" + readOnlyFd + "/" + word(), "/" + word(),
                "/v1/fds", "/v1/fds/" + readOnlyFd);
        return call(pick("GET", "POST"), path, null, null);
    }

    private Call wrongContentType() {
        String type = pick("text/plain", "application/xml", "multipart/form-data; boundary=x", "image/png");
        return pick(
                call("POST", "/v1/open", type, ("{\"path\":\"/fz-" + word() + "\",\"flags\":[\"O_CREAT\",\"O_RDWR\"]}").getBytes(StandardCharsets.UTF_8)),
                call("POST", "/v1/mkdir", type, ("{\"path\":\"/fz-" + word() + "\"}").getBytes(StandardCharsets.UTF_8)),
                call("POST", "/v1/fds/" + readOnlyFd + "/ftruncate", type, "{\"length\":0}".getBytes(StandardCharsets.UTF_8)));
    }

    private Call encodedOddity() {
        return switch (random.nextInt(5)) {
            case 0 -> call("POST", "/v1/fds/%00/fsync", null, null);
            case 1 -> call("POST", "/v1/fds/" + readOnlyFd + "%2F" + word() + "/fsync", null, null);
            case 2 -> call("GET", "/v1/stat?path=/fz-" + word() + "%00" + word(), null, null);
            case 3 -> call("GET", "/v1/stat?path=" + URLEncoder.encode("/fz-missing-" + new String(randomBytes(8),
                    StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8), null, null);
            default -> call("GET", "/v1/%" + pick("2e%2e", "ff", "c0%af", "00") + "/stat", null, null);
        };
    }

    private Call badSysctl() {
        return switch (random.nextInt(3)) {
            case 0 -> text("PUT", "/v1/sysctl/vm." + word(), Integer.toString(random.nextInt(100)));
            case 1 -> text("PUT", "/v1/sysctl/" + pick("vm.dirty_ratio", "vm.dirty_expire_centisecs",
                    "vm.dirty_writeback_centisecs", "vm.dirty_background_bytes"), pick("abc", "-1", "1e9", "", "99999999999999999999"));
            default -> call("GET", "/v1/sysctl/" + word() + "." + word(), null, null);
        };
    }

    /** mkdir and unlink the namespace must refuse. */
    private Call refusedNamespaceCall() {
        return switch (random.nextInt(7)) {
            case 0 -> json("POST", "/v1/mkdir", "{\"path\":\"/\"}");
            case 1 -> json("POST", "/v1/mkdir", "{\"path\":\"" + existing + "\"}");
            case 2 -> json("POST", "/v1/mkdir", "{\"path\":\"/fz-missing-" + word() + "/d\"}");
            case 3 -> json("POST", "/v1/mkdir", "{\"path\":\"/fz-" + word() + "\",\"mode\":\"" + pick("zz", "-1", "8") + "\"}");
            case 4 -> json("POST", "/v1/unlink", "{\"path\":\"/\"}");
            case 5 -> json("POST", "/v1/unlink", "{\"path\":\"/fz-missing-" + word() + "\"}");
            default -> json("POST", "/v1/unlink", pick("{}", "{\"path\":null}", "{\"path\":\"\"}", "{\"path\":\"/fz\\u0000\"}"));
        };
    }

    private Call badTraceQuery() {
        return call("GET", "/v1/trace?" + pick("format=" + word(), "since=" + word(), "since=-" + random.nextInt(1000)
                + "x"), null, null);
    }

    // ---- requests -----------------------------------------------------------------------------------------------------

    private Call json(String method, String path, String body) {
        return call(method, path, "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    private Call text(String method, String path, String body) {
        return call(method, path, "text/plain", body.getBytes(StandardCharsets.UTF_8));
    }

    private Call bytes(String method, String path, byte[] body) {
        return call(method, path, "application/octet-stream", body);
    }

    private Call call(String method, String path, String contentType, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).header("X-Comm", comm).header("X-Pid", Integer.toString(pid))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        String shown = body == null ? "" : " " + new String(body, StandardCharsets.UTF_8);
        return new Call(method + " " + path + (contentType == null ? "" : " [" + contentType + "]")
                + (shown.length() > 200 ? shown.substring(0, 200) + "..." : shown), b.build());
    }

    @SafeVarargs
    private <T> T pick(T... options) {
        return options[random.nextInt(options.length)];
    }

    private String word() {
        StringBuilder w = new StringBuilder();
        for (int i = 0, n = 1 + random.nextInt(12); i < n; i++) {
            w.append((char) ('a' + random.nextInt(26)));
        }
        return w.toString();
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** What a refused call must look like: a 4xx (or 503/504), problem+json with an errno and its code. */
    static String violation(HttpResponse<String> r) {
        int s = r.statusCode();
        if (s < 400 || (s >= 500 && s != 503 && s != 504)) {
            return "status " + s;
        }
        String type = r.headers().firstValue("Content-Type").orElse("");
        if (!type.startsWith("application/problem+json")) {
            return "Content-Type " + type;
        }
        if (!r.body().matches("(?s).*\"errno\":\"E[A-Z0-9]+\".*") || !r.body().matches("(?s).*\"code\":\\d+.*")) {
            return "no errno and code in the body";
        }
        return null;
    }
}
