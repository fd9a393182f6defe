package dev.ext4sim.blockdev.ufs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The link carries one transfer at a time and fills gaps: a command ready earlier never waits behind a later one. */
class LinkTest {
    @Test
    void transfersQueueOneAfterAnother() {
        UfsDevice.Link link = new UfsDevice.Link();
        assertThat(link.reserve(1_000, 100)).isEqualTo(1_000);
        assertThat(link.reserve(1_000, 100)).isEqualTo(1_100);
        assertThat(link.reserve(1_050, 100)).isEqualTo(1_200);
    }

    @Test
    void aCommandReadyBeforeALaterReservedTransferTakesTheGapBeforeIt() {
        UfsDevice.Link link = new UfsDevice.Link();
        assertThat(link.reserve(5_000, 100)).isEqualTo(5_000); // reserved first, but for later
        assertThat(link.reserve(1_000, 100)).isEqualTo(1_000);  // fits before it
        assertThat(link.reserve(4_950, 100)).isEqualTo(5_100);  // does not fit in [4950, 5000): after it
        assertThat(link.reserve(4_800, 100)).isEqualTo(4_800);  // [4800, 4900) is free
        assertThat(link.reserve(4_850, 100)).isEqualTo(4_900);  // after 4800-4900, exactly fits before 5000
        assertThat(link.reserve(4_850, 100)).isEqualTo(5_200);  // no gap left before 5200
    }
}
