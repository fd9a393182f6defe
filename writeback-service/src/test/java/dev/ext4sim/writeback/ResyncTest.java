package dev.ext4sim.writeback;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.Errno;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ResyncTest {
    @Test
    void waitsForTheBusThenRetriesWithBackoffUntilExt4AnswersThenResyncsPeriodically() {
        try (BusHarness h = new BusHarness()) {
            AtomicBoolean ready = new AtomicBoolean(false);
            h.ext4.dirtyInodesFails = Errno.ENOSYS; // an ext4-service that does not serve the call yet
            Resync resync = new Resync(h.writeback, h.endpoints, List.of("sda1"), h.clock, Runnable::run, ready::get,
                    Duration.ofSeconds(1), Duration.ofSeconds(30));
            resync.start();
            h.advanceToSeconds(2.5);
            assertThat(h.ext4.dirtyInodesCalls).isZero();
            assertThat(h.publishedLimits()).isEmpty();

            ready.set(true);
            h.advanceToSeconds(3); // attempts at 3, then 4, 6, 10, 18, 34, 64 (capped at 30 s apart), ...
            assertThat(h.ext4.dirtyInodesCalls).isEqualTo(1);
            assertThat(h.publishedLimits()).hasSize(1);
            h.advanceToSeconds(17.9);
            assertThat(h.ext4.dirtyInodesCalls).isEqualTo(4);
            h.advanceToSeconds(64);
            assertThat(h.ext4.dirtyInodesCalls).isEqualTo(7);

            h.ext4.dirtyInodesFails = null;
            h.advanceToSeconds(94);
            assertThat(h.ext4.dirtyInodesCalls).isEqualTo(8);
            assertThat(resync.rebuilds()).isEqualTo(1);
            h.advanceToSeconds(124); // the periodic merge, 30 s later
            assertThat(h.ext4.dirtyInodesCalls).isEqualTo(9);
            assertThat(resync.rebuilds()).isEqualTo(2);
            assertThat(h.publishedLimits()).hasSize(1);

            resync.stop();
            h.advanceToSeconds(300);
            assertThat(h.ext4.dirtyInodesCalls).isEqualTo(9);
        }
    }
}
