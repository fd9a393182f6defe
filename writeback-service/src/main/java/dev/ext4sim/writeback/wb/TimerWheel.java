package dev.ext4sim.writeback.wb;

/**
 * The timer wheel's rounding (kernel/time/timer.c, calc_wheel_index / calc_index, 4.8+): a timer lands in the bucket
 * of the level its distance picks, each level eight times coarser than the one below, and the bucket's expiry is
 * rounded up past the requested jiffy so that no timer fires early. The flusher's 1250-jiffy delay (5 s at HZ 250)
 * lands in level 2, of 64 jiffies, so its rounds come every 1280 jiffies (5.12 s) once one started on a bucket edge.
 */
final class TimerWheel {
    /** LVL_CLK_SHIFT: each level's granularity is 8 times the one below. */
    private static final int LVL_CLK_SHIFT = 3;
    /** LVL_BITS: 64 buckets per level. */
    private static final int LVL_BITS = 6;
    /** LVL_DEPTH at HZ 250 (HZ > 100). */
    private static final int LVL_DEPTH = 9;

    private TimerWheel() {
    }

    /** The jiffy a timer armed at {@code clk} for {@code expires} fires on. */
    static long bucketExpiry(long clk, long expires) {
        long delta = Math.max(0, expires - clk);
        int lvl = 0;
        while (lvl < LVL_DEPTH - 1 && delta >= lvlStart(lvl + 1)) {
            lvl++;
        }
        int shift = lvl * LVL_CLK_SHIFT;
        return ((expires >> shift) + 1) << shift;
    }

    /** LVL_START(n): the first distance level n holds, (LVL_SIZE - 1) << ((n - 1) * LVL_CLK_SHIFT). */
    private static long lvlStart(int n) {
        return ((1L << LVL_BITS) - 1) << ((n - 1) * LVL_CLK_SHIFT);
    }
}
