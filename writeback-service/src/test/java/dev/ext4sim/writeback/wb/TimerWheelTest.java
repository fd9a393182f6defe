package dev.ext4sim.writeback.wb;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** calc_wheel_index's rounding: never early, up to the level's granularity late. */
class TimerWheelTest {
    @Test
    void theFlushersFiveSecondsBecome1280JiffiesFromABucketEdge() {
        long edge = 64L * 1_000_000;
        assertThat(TimerWheel.bucketExpiry(edge, edge + 1250)).isEqualTo(edge + 1280);
        assertThat(TimerWheel.bucketExpiry(edge + 30, edge + 30 + 1250)).isEqualTo(edge + 1344);
    }

    @Test
    void eachLevelRoundsUpToItsGranularity() {
        assertThat(TimerWheel.bucketExpiry(1000, 1010)).as("level 0: the next jiffy").isEqualTo(1011);
        assertThat(TimerWheel.bucketExpiry(1000, 1100)).as("level 1: 8 jiffies").isEqualTo(1104);
        assertThat(TimerWheel.bucketExpiry(1000, 1000 + 600)).as("level 2: 64 jiffies").isEqualTo(1664);
        assertThat(TimerWheel.bucketExpiry(1000, 1000 + 5000)).as("level 3: 512 jiffies").isEqualTo(6144);
        assertThat(TimerWheel.bucketExpiry(1000, 900)).as("already due").isEqualTo(901);
    }
}
