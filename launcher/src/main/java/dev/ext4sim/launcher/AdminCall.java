package dev.ext4sim.launcher;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** A call to a service's admin API with the stack's admin token, on loopback with a 5 s deadline unless told. */
final class AdminCall {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private AdminCall() {
    }

    /** The answer, or empty when nothing answered in time. */
    static Optional<HttpResponse<String>> send(Settings settings, HttpRequest.Builder request) {
        return send(settings, request, Duration.ofSeconds(5));
    }

    /** The same with a deadline of its own, for a call that has work to do (the write log's start copies the disk). */
    static Optional<HttpResponse<String>> send(Settings settings, HttpRequest.Builder request, Duration deadline) {
        AdminToken.read(settings).ifPresent(t -> request.header("Authorization", "Bearer " + t));
        try {
            return Optional.of(HTTP.send(request.timeout(deadline).build(), HttpResponse.BodyHandlers.ofString()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }
}
