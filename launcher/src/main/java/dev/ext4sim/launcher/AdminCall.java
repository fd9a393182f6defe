package dev.ext4sim.launcher;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** A call to a service's admin API with the stack's admin token, on loopback with a 5 s deadline. */
final class AdminCall {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private AdminCall() {
    }

    /** The answer, or empty when nothing answered in time. */
    static Optional<HttpResponse<String>> send(Settings settings, HttpRequest.Builder request) {
        AdminToken.read(settings).ifPresent(t -> request.header("Authorization", "Bearer " + t));
        try {
            return Optional.of(HTTP.send(request.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }
}
