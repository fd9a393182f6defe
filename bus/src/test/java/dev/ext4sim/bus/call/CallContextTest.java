package dev.ext4sim.bus.call;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CallContextTest {

    @Test
    void remainingCountsDownWithTheClockAndStopsAtZero() {
        ManualClock clock = new ManualClock();
        CallContext ctx = new CallContext("x", null, clock.currentTimeMillis() + 2_000, clock);

        assertThat(ctx.remaining()).isEqualTo(Duration.ofSeconds(2));
        clock.advanceMillis(1_999);
        assertThat(ctx.remaining()).isEqualTo(Duration.ofMillis(1));
        clock.advanceMillis(5_000);
        assertThat(ctx.remaining()).isZero();
    }

    @Test
    void aDownstreamCallGetsLessTimeThanTheCallerButNeverANegativeTimeout() {
        ManualClock clock = new ManualClock();
        CallContext ctx = new CallContext("x", null, clock.currentTimeMillis() + 2_000, clock);

        assertThat(ctx.downstreamTimeout())
                .isEqualTo(Duration.ofMillis(2_000 - CallContext.HOP_MARGIN_MILLIS))
                .isLessThan(ctx.remaining());
        clock.advanceMillis(2_000 - CallContext.HOP_MARGIN_MILLIS + 1);
        assertThat(ctx.downstreamTimeout()).isZero();
        assertThat(ctx.remaining()).isPositive();
    }
}
