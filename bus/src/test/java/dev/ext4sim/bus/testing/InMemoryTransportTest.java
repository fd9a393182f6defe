package dev.ext4sim.bus.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.call.Frame;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class InMemoryTransportTest {
    private static Frame frame(int b) {
        return new Frame(Map.of(), new byte[] {(byte) b});
    }

    @Test
    void recordsFramesPerTopicInOrder() {
        InMemoryTransport t = new InMemoryTransport();

        assertThat(t.send("a", "k1", frame(1))).isCompletedWithValue(null);
        t.send("b", null, frame(2));
        t.send("a", "k3", frame(3));

        assertThat(t.sent("a")).extracting(f -> f.value()[0]).containsExactly((byte) 1, (byte) 3);
        assertThat(t.sent()).extracting(InMemoryTransport.Sent::key).containsExactly("k1", null, "k3");
        assertThat(t.topics()).containsExactly("a", "b");
        assertThat(t.last("a").value()).containsExactly(3);
        assertThatThrownBy(() -> t.last("c")).isInstanceOf(AssertionError.class);
        t.clear();
        assertThat(t.sent()).isEmpty();
    }

    @Test
    void routesDeliverOnTheSendingThreadAndMayChain() {
        InMemoryTransport t = new InMemoryTransport();
        List<String> seen = new ArrayList<>();
        t.route("request", f -> {
            seen.add("request");
            t.send("reply", null, f);
        });
        t.route("reply", f -> seen.add("reply"));

        t.send("request", null, frame(1));

        assertThat(seen).containsExactly("request", "reply");
        t.unroute("request");
        t.send("request", null, frame(2));
        assertThat(seen).hasSize(2);
    }

    @Test
    void failedSendsReturnAFailedFutureAndAreNotRecorded() {
        InMemoryTransport t = new InMemoryTransport().failSendsTo("down", new IOException("broker down"));
        List<Frame> delivered = new ArrayList<>();
        t.route("down", delivered::add);

        CompletableFuture<Void> failed = t.send("down", null, frame(1));
        t.send("up", null, frame(2));

        assertThat(failed).isCompletedExceptionally();
        assertThat(delivered).isEmpty();
        assertThat(t.topics()).containsExactly("up");
        assertThat(t.failedSends()).isEqualTo(1);

        t.failSends(new IOException("all down"));
        assertThat(t.send("up", null, frame(3))).isCompletedExceptionally();
        t.healSends();
        assertThat(t.send("down", null, frame(4))).isCompletedWithValue(null);
        assertThat(delivered).hasSize(1);
    }

    @Test
    void concurrentSendsAreAllRecorded() throws Exception {
        InMemoryTransport t = new InMemoryTransport();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 8; i++) {
                int topic = i % 2;
                pool.submit(() -> {
                    for (int j = 0; j < 500; j++) {
                        t.send("t" + topic, null, frame(j));
                    }
                });
            }
        }
        assertThat(t.sent()).hasSize(4_000);
        assertThat(t.sent("t0")).hasSize(2_000);
    }
}
