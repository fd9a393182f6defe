package dev.ext4sim.blockdev.ufs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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

    @Test
    void abuttingTransfersMergeSoASaturatedLinkIsOneInterval() {
        UfsDevice.Link link = new UfsDevice.Link();
        for (int i = 0; i < 1000; i++) {
            link.reserve(1_000, 100);
        }
        assertThat(link.reserve(1_000, 100)).isEqualTo(1_000 + 1000 * 100);
        assertThat(link.intervals()).isEqualTo(1);
        link.reserve(500, 100); // fits before the run, a gap of 400 after it
        assertThat(link.intervals()).isEqualTo(2);
        assertThat(link.reserve(600, 400)).isEqualTo(600); // fills the gap exactly: all one interval again
        assertThat(link.intervals()).isEqualTo(1);
    }

    @Test
    void placesEveryTransferWhereAFirstFitSearchOfAllIntervalsWould() {
        Random random = new Random(42);
        UfsDevice.Link link = new UfsDevice.Link();
        List<long[]> all = new ArrayList<>(); // the reference: every interval ever reserved, searched in full
        long now = 0;
        for (int i = 0; i < 5_000; i++) {
            now += random.nextInt(2_000);
            long ready = now - random.nextInt(3_000) + random.nextInt(500); // out of order, as credited arrivals are
            long xfer = 1 + random.nextInt(random.nextBoolean() ? 50 : 5_000);
            long expected = firstFit(all, ready, xfer);
            all.add(new long[]{expected, expected + xfer});
            assertThat(link.reserve(ready, xfer)).as("transfer %d", i).isEqualTo(expected);
        }
    }

    private static long firstFit(List<long[]> intervals, long ready, long xfer) {
        long begin = ready;
        boolean moved = true;
        while (moved) {
            moved = false;
            for (long[] iv : intervals) {
                if (iv[0] < begin + xfer && iv[1] > begin) {
                    begin = iv[1];
                    moved = true;
                }
            }
        }
        return begin;
    }
}
