package dev.ext4sim.launcher.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A chaos client's AIO write against a gateway that answers as told: acknowledged only by its own event with res the
 * whole length, never by an earlier iocb's, a short or negative res, or no event at all.
 */
class ChaosClientAioTest {
    private HttpServer server;
    private final List<String> calls = new ArrayList<>();
    private final Deque<String> events = new ArrayDeque<>();
    private byte[] submitted;
    private Gateway gateway;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/fds/3/io_submit", x -> {
            calls.add("io_submit " + x.getRequestURI().getQuery());
            submitted = x.getRequestBody().readAllBytes();
            answer(x, 200, "{\"id\":7}");
        });
        server.createContext("/v1/io_getevents", x -> {
            calls.add("io_getevents");
            String next = events.isEmpty() ? "{\"events\":[]}" : events.poll();
            answer(x, next.contains("errno") ? 400 : 200, next);
        });
        server.start();
        gateway = new Gateway(server.getAddress().getPort(), "chaos-0", 7100);
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static void answer(HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(status, b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    private Gateway.Answer write(Duration wait) {
        return ChaosClient.submitAndReap(gateway, 3, 8192, new byte[8192], wait);
    }

    @Test
    void itsOwnEventWithTheWholeLengthAcknowledgesItAndAnEarlierIocbsDoesNot() {
        events.add("{\"events\":[{\"id\":5,\"fd\":3,\"res\":4096}]}");
        events.add("{\"events\":[{\"id\":6,\"fd\":3,\"res\":-5},{\"id\":7,\"fd\":3,\"res\":8192}]}");

        Gateway.Answer a = write(Duration.ofSeconds(20));

        assertThat(a.ok()).isTrue();
        assertThat(calls).containsExactly("io_submit offset=8192", "io_getevents", "io_getevents");
        assertThat(submitted).hasSize(8192);
    }

    @Test
    void aShortOrFailedResIsNoAcknowledgement() {
        events.add("{\"events\":[{\"id\":7,\"fd\":3,\"res\":4096}]}");
        assertThat(write(Duration.ofSeconds(20)).errno()).isEqualTo("io_event res 4096");
        events.add("{\"events\":[{\"id\":7,\"fd\":3,\"res\":-5}]}");
        assertThat(write(Duration.ofSeconds(20)).errno()).isEqualTo("io_event res -5");
    }

    @Test
    void noEventBeforeTheWaitEndsOrAFailedReapIsNoAcknowledgement() {
        events.add("{\"events\":[{\"id\":5,\"fd\":3,\"res\":8192}]}");
        Gateway.Answer none = write(Duration.ofMillis(200));
        assertThat(none.ok()).isFalse();
        assertThat(none.errno()).startsWith("no io_event in");

        events.add("{\"errno\":\"EINVAL\",\"code\":22,\"detail\":\"no io context\"}");
        assertThat(write(Duration.ofSeconds(20)).errno()).isEqualTo("EINVAL");
    }
}
