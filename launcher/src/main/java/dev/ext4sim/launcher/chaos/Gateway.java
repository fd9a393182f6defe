package dev.ext4sim.launcher.chaos;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The REST calls the chaos workload makes, as one process (X-Comm, X-Pid) of the gateway. */
final class Gateway {
    /** An answer: 200 with its body, or the errno of a problem+json (or "http" when the call itself failed). */
    record Answer(boolean ok, String errno, String body, byte[] bytes) {
        long number(String field) {
            Matcher m = Pattern.compile("\"" + field + "\":(-?\\d+)").matcher(body);
            if (!m.find()) {
                throw new IllegalStateException("no " + field + " in " + body);
            }
            return Long.parseLong(m.group(1));
        }
    }

    private static final Pattern ERRNO = Pattern.compile("\"errno\":\"(E[A-Z0-9]+)\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final int port;
    private final String comm;
    private final int pid;

    Gateway(int port, String comm, int pid) {
        this.port = port;
        this.comm = comm;
        this.pid = pid;
    }

    Answer open(String path, List<String> flags) {
        StringBuilder json = new StringBuilder("{\"path\":\"" + path + "\",\"flags\":[");
        for (int i = 0; i < flags.size(); i++) {
            json.append(i == 0 ? "" : ",").append('"').append(flags.get(i)).append('"');
        }
        return send(request("/v1/open").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json.append("],\"mode\":\"0644\"}").toString())));
    }

    Answer mkdir(String path) {
        return send(request("/v1/mkdir").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"path\":\"" + path + "\"}")));
    }

    Answer pwrite(int fd, long offset, byte[] data) {
        return send(request("/v1/fds/" + fd + "/write?offset=" + offset).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(data)));
    }

    /** io_submit of one pwrite: answers {@code {"id":N}}, the iocb's id in this process's io context. */
    Answer ioSubmit(int fd, long offset, byte[] data) {
        return send(request("/v1/fds/" + fd + "/io_submit?offset=" + offset)
                .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(data)));
    }

    /** An io_event: the iocb's id, its fd, and res (the bytes written, or a negative errno). */
    record Event(long id, int fd, long res) {
    }

    private static final Pattern EVENT = Pattern.compile("\\{\"id\":(\\d+),\"fd\":(-?\\d+),\"res\":(-?\\d+)}");

    /** io_getevents: 1 to {@code nr} events, waiting up to {@code timeout} for the first; the events are in the body. */
    Answer ioGetevents(int nr, Duration timeout) {
        return send(request("/v1/io_getevents?min_nr=1&nr=" + nr + "&timeout_ms=" + timeout.toMillis()).GET());
    }

    static List<Event> events(Answer a) {
        List<Event> events = new java.util.ArrayList<>();
        Matcher m = EVENT.matcher(a.body());
        while (m.find()) {
            events.add(new Event(Long.parseLong(m.group(1)), Integer.parseInt(m.group(2)), Long.parseLong(m.group(3))));
        }
        return events;
    }

    Answer ftruncate(int fd, long length) {
        return send(request("/v1/fds/" + fd + "/ftruncate").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"length\":" + length + "}")));
    }

    Answer post(int fd, String call) {
        return send(request("/v1/fds/" + fd + "/" + call).POST(HttpRequest.BodyPublishers.noBody()));
    }

    Answer stat(String path) {
        return send(request("/v1/stat?path=" + path).GET());
    }

    /** The most one read(2) over REST carries (the gateway's limit). */
    static final int MAX_READ = 8 << 20;

    /** open O_RDONLY, read it to its end in reads of at most 8 MiB, close; null when any of it failed. */
    byte[] readFile(String path) {
        Answer open = open(path, List.of("O_RDONLY"));
        if (!open.ok()) {
            return null;
        }
        int fd = (int) open.number("fd");
        try {
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            while (true) {
                Answer read = send(request("/v1/fds/" + fd + "/read?offset=" + all.size() + "&length=" + MAX_READ).GET());
                if (!read.ok()) {
                    return null;
                }
                all.writeBytes(read.bytes());
                if (read.bytes().length < MAX_READ) {
                    return all.toByteArray(); // a short read: the end of the file
                }
            }
        } finally {
            post(fd, "close");
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60))
                .header("X-Comm", comm).header("X-Pid", Integer.toString(pid));
    }

    private static Answer send(HttpRequest.Builder request) {
        try {
            HttpResponse<byte[]> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            String body = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
            if (r.statusCode() == 200) {
                return new Answer(true, null, body, r.body());
            }
            Matcher m = ERRNO.matcher(body);
            return new Answer(false, m.find() ? m.group(1) : "HTTP " + r.statusCode(), body, r.body());
        } catch (IOException e) {
            return new Answer(false, "http " + e.getClass().getSimpleName(), "", new byte[0]);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(false, "interrupted", "", new byte[0]);
        }
    }
}
