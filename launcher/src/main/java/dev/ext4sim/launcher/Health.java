package dev.ext4sim.launcher;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Is a component serving? The broker when it answers describeCluster; a service when its health is UP; Prometheus
 * when /-/ready answers 200 (it has loaded its configuration and its TSDB).
 */
final class Health {
    private static final Pattern STATUS = Pattern.compile("\"status\"\\s*:\\s*\"([A-Z_]+)\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private Health() {
    }

    /** UP, DOWN, OUT_OF_SERVICE... as the service reports it, or "unreachable". */
    static String of(Settings settings, Component c) {
        return switch (c.kind()) {
            case SERVICE -> service(settings.port(c));
            case BROKER -> kafka(settings.bootstrap());
            case PROMETHEUS -> prometheus(settings.port(c));
        };
    }

    static String prometheus(int port) {
        return get(port, "/-/ready").map(r -> r.statusCode() == 200 ? "UP" : "HTTP " + r.statusCode()).orElse("unreachable");
    }

    static String service(int port) {
        return get(port, "/actuator/health").map(r -> topLevelStatus(r.body()).orElse("HTTP " + r.statusCode()))
                .orElse("unreachable");
    }

    /** One GET on loopback with a 2 s deadline; empty when nothing answers in time. */
    private static java.util.Optional<HttpResponse<String>> get(int port, String path) {
        try {
            return java.util.Optional.of(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.Optional.empty();
        } catch (Exception e) {
            return java.util.Optional.empty();
        }
    }

    /**
     * The aggregate status: the "status" of the outermost object. Spring Boot writes the components first (each with
     * a status of its own), so the first "status" in the text is a component's, not the service's.
     */
    static java.util.Optional<String> topLevelStatus(String json) {
        int depth = 0;
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char ch = json.charAt(i);
            if (inString) {
                if (ch == '\\') {
                    i++;
                } else if (ch == '"') {
                    inString = false;
                }
                continue;
            }
            if (ch == '{' || ch == '[') {
                depth++;
            } else if (ch == '}' || ch == ']') {
                depth--;
            } else if (ch == '"') {
                if (depth == 1) {
                    Matcher m = STATUS.matcher(json).region(i, json.length());
                    if (m.lookingAt()) {
                        return java.util.Optional.of(m.group(1));
                    }
                }
                inString = true;
            }
        }
        return java.util.Optional.empty();
    }

    static String kafka(String bootstrap) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 1_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 1_500,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200))) {
            admin.describeCluster().nodes().get(1_500, TimeUnit.MILLISECONDS);
            return "UP";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unreachable";
        } catch (Exception e) {
            return "unreachable";
        }
    }
}
