package dev.ext4sim.launcher;

import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * {@code ./ext4sim crash SERVICE [POINT (--nth N | --probability P) | --disarm [POINT]]}: lists a service's crash
 * points and what is armed, arms one, or disarms, through the service's /v1/crash-points.
 */
final class CrashCommand {
    static final String USAGE = "usage: ./ext4sim crash SERVICE [POINT --nth N | POINT --probability P | --disarm [POINT]]";

    private final Settings settings;
    private final PrintStream out;

    CrashCommand(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    int run(List<String> args) {
        if (args.isEmpty()) {
            out.println(USAGE);
            return 2;
        }
        Optional<Component> service = Component.byName(args.getFirst()).filter(Component::service);
        if (service.isEmpty()) {
            out.println("ext4sim: crash points are in the services: " + String.join(", ",
                    Component.SERVICES.stream().map(Component::name).toList()) + "; not '" + args.getFirst() + "'");
            return 2;
        }
        int port = settings.port(service.get());
        List<String> rest = args.subList(1, args.size());
        if (rest.isEmpty()) {
            return send(port, HttpRequest.newBuilder(uri(port, "")).GET());
        }
        if (rest.getFirst().equals("--disarm")) {
            String point = rest.size() > 1 ? "/" + URLEncoder.encode(rest.get(1), StandardCharsets.UTF_8) : "";
            return send(port, HttpRequest.newBuilder(uri(port, point)).DELETE());
        }
        if (rest.size() != 3 || !(rest.get(1).equals("--nth") || rest.get(1).equals("--probability"))) {
            out.println(USAGE);
            return 2;
        }
        String value = rest.get(2);
        if (!value.matches("[0-9]+(\\.[0-9]+)?")) {
            out.println("ext4sim: " + rest.get(1) + " takes a number, not '" + value + "'");
            return 2;
        }
        String body = "{\"point\":\"" + rest.getFirst().replace("\\", "\\\\").replace("\"", "\\\"") + "\",\""
                + rest.get(1).substring(2) + "\":" + value + "}";
        return send(port, HttpRequest.newBuilder(uri(port, "")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static URI uri(int port, String suffix) {
        return URI.create("http://127.0.0.1:" + port + "/v1/crash-points" + suffix);
    }

    private int send(int port, HttpRequest.Builder request) {
        Optional<HttpResponse<String>> r = AdminCall.send(settings, request);
        if (r.isEmpty()) {
            out.println("ext4sim: nothing answers on 127.0.0.1:" + port + "; is the service up? ./ext4sim status");
            return 1;
        }
        out.println(r.get().body());
        return r.get().statusCode() / 100 == 2 ? 0 : 1;
    }
}
