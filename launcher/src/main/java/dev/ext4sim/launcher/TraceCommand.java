package dev.ext4sim.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./ext4sim trace diff REAL.txt}: a real kernel's trace held against the running stack's, through the gateway's
 * POST /v1/trace/diff (docs/fidelity.md).
 */
final class TraceCommand {
    static final String USAGE = "usage: ./ext4sim trace diff REAL.txt [--fields] [--writers COMM,...] [--systems "
            + "ext4,jbd2,writeback,block|all] [--since SECONDS] [--context N] [--rows N] [--json]";

    private final Settings settings;
    private final PrintStream out;

    TraceCommand(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    int run(List<String> args) {
        if (args.size() < 2 || !args.getFirst().equals("diff")) {
            out.println("ext4sim: trace takes diff and a file\n" + USAGE);
            return 2;
        }
        Path real = Path.of(args.get(1));
        List<String> query = new ArrayList<>();
        try {
            for (int i = 2; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--fields" -> query.add("fields=true");
                    case "--json" -> query.add("format=json");
                    case "--writers", "--systems", "--since", "--context", "--rows" ->
                            query.add(a.substring(2) + "=" + URLEncoder.encode(args.get(++i), StandardCharsets.UTF_8));
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            out.println("ext4sim: " + (e instanceof IndexOutOfBoundsException ? "an option lacks its value" : e.getMessage())
                    + "\n" + USAGE);
            return 2;
        }
        String body;
        try {
            body = Files.readString(real);
        } catch (IOException e) {
            out.println("ext4sim: cannot read " + real + " (" + e.getMessage() + "); give the file a real kernel's trace"
                    + " was saved to (scripts/capture-real-trace.sh makes one)");
            return 2;
        }
        URI uri = URI.create("http://127.0.0.1:" + settings.port(Component.SERVICES.getFirst()) + "/v1/trace/diff"
                + (query.isEmpty() ? "" : "?" + String.join("&", query)));
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "text/plain")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            out.print(r.body());
            if (!r.body().endsWith("\n")) {
                out.println();
            }
            return r.statusCode() == 200 ? 0 : 1;
        } catch (IOException e) {
            out.println("ext4sim: the gateway did not answer at " + uri + " (" + e.getMessage() + "); is the stack up? "
                    + "./ext4sim status");
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }
}
