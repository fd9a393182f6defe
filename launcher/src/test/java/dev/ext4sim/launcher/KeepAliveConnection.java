package dev.ext4sim.launcher;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One caller's HTTP/1.1 connection to the gateway, kept alive across calls and read and written in the calling thread,
 * as wrk or a curl loop with keep-alive use one: the benchmark's client. {@code java.net.http.HttpClient} hands every
 * call over between three threads (caller, selector, executor), and on this 2-core machine that cost 1.1 ms per call
 * of client time alone (measured: write() p50 4.1–4.6 ms through it, 2.6–3.0 ms through this, on the same warm
 * stack), which is the client's cost, not the system's. The functional tests keep {@link Rest}.
 *
 * <p>Counts the connections it opened, so that a gateway that closes a kept-alive connection shows.
 */
final class KeepAliveConnection implements Closeable {
    private static final int TIMEOUT_MS = 60_000;

    private final int port;
    private final String comm;
    private final int pid;
    private Socket socket;
    private OutputStream out;
    private InputStream in;
    private int connections;

    KeepAliveConnection(int port, String comm, int pid) {
        this.port = port;
        this.comm = comm;
        this.pid = pid;
    }

    record Response(int status, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    Response get(String path) throws IOException {
        return call("GET", path, null, new byte[0]);
    }

    Response post(String path) throws IOException {
        return call("POST", path, null, new byte[0]);
    }

    Response post(String path, String contentType, byte[] body) throws IOException {
        return call("POST", path, contentType, body);
    }

    /** open(2) with O_CREAT|O_RDWR; the new fd, or an AssertionError with the gateway's answer. */
    int open(String path) throws IOException {
        return open(path, "O_CREAT", "O_RDWR");
    }

    /** open(2) with {@code flags}; the new fd, or an AssertionError with the gateway's answer. */
    int open(String path, String... flags) throws IOException {
        String list = String.join("\",\"", flags);
        Response r = post("/v1/open", "application/json",
                ("{\"path\":\"" + path + "\",\"flags\":[\"" + list + "\"],\"mode\":\"0644\"}").getBytes(StandardCharsets.UTF_8));
        if (r.status() != 200) {
            throw new AssertionError("open " + path + ": " + r.status() + " " + r.text());
        }
        return Integer.parseInt(r.text().replaceAll("\\D", ""));
    }

    /** pwrite(2) of {@code data} at {@code offset}, failing on anything but a full write. */
    void pwrite(int fd, long offset, byte[] data) throws IOException {
        Response r = post("/v1/fds/" + fd + "/write?offset=" + offset, "application/octet-stream", data);
        if (r.status() != 200) {
            throw new AssertionError("write fd " + fd + ": " + r.status() + " " + r.text());
        }
    }

    /** How many TCP connections this caller opened: 1 while the gateway keeps it alive. */
    int connections() {
        return connections;
    }

    Response call(String method, String path, String contentType, byte[] body) throws IOException {
        if (socket == null) {
            connect();
        }
        StringBuilder head = new StringBuilder(160).append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(port).append("\r\n")
                .append("X-Comm: ").append(comm).append("\r\nX-Pid: ").append(pid).append("\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n");
        if (contentType != null) {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
        return readResponse();
    }

    private Response readResponse() throws IOException {
        String statusLine = readLine();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1.1 answer from the gateway: '" + statusLine + "'");
        }
        int status = Integer.parseInt(parts[1]);
        long length = -1;
        boolean chunked = false;
        boolean close = false;
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.contains("chunked");
                case "connection" -> close = value.contains("close");
                default -> { }
            }
        }
        byte[] body;
        if (chunked) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (int n = Integer.parseInt(readLine().split(";", 2)[0].trim(), 16); n > 0;
                 n = Integer.parseInt(readLine().split(";", 2)[0].trim(), 16)) {
                all.write(in.readNBytes(n));
                readLine();
            }
            while (!readLine().isEmpty()) {
                // trailers
            }
            body = all.toByteArray();
        } else if (length >= 0) {
            body = in.readNBytes((int) length);
        } else {
            body = in.readAllBytes();
            close = true;
        }
        if (close) {
            close();
        }
        return new Response(status, body);
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("the gateway closed the connection mid-answer");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    private void connect() throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(TIMEOUT_MS);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
        out = new BufferedOutputStream(socket.getOutputStream(), 16 << 10);
        in = new BufferedInputStream(socket.getInputStream(), 16 << 10);
        connections++;
    }

    @Override
    public void close() throws IOException {
        if (socket != null) {
            socket.close();
            socket = null;
        }
    }
}
