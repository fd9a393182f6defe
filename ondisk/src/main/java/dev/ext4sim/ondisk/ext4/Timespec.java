package dev.ext4sim.ondisk.ext4;

/**
 * {@code struct timespec64}: an inode time as ext4 keeps it, the low 32 bits of the seconds in {@code i_xtime} and, in
 * the inode's extra part, the nanoseconds and two epoch bits in {@code i_xtime_extra} (ext4_encode_extra_time).
 */
public record Timespec(long sec, int nsec) implements Comparable<Timespec> {
    static final int EXT4_EPOCH_BITS = 2;
    static final int EXT4_EPOCH_MASK = (1 << EXT4_EPOCH_BITS) - 1;

    public Timespec {
        if (nsec < 0 || nsec >= 1_000_000_000) {
            throw new IllegalArgumentException("nanoseconds must be from 0 to 999999999, not " + nsec);
        }
    }

    public static Timespec ofSeconds(long sec) {
        return new Timespec(sec, 0);
    }

    /** Nanoseconds since the epoch at {@code epochNanos}. */
    public static Timespec ofEpochNanos(long epochNanos) {
        return new Timespec(Math.floorDiv(epochNanos, 1_000_000_000L), (int) Math.floorMod(epochNanos, 1_000_000_000L));
    }

    public long toEpochNanos() {
        return sec * 1_000_000_000L + nsec;
    }

    /** ext4_encode_extra_time: the seconds beyond 32 bits as epoch bits, then the nanoseconds. */
    int encodeExtra() {
        int extra = (int) (((sec - (int) sec) >> 32) & EXT4_EPOCH_MASK);
        return extra | nsec << EXT4_EPOCH_BITS;
    }

    /** ext4_decode_extra_time of {@code xtime} (i_xtime, signed) and {@code extra} (i_xtime_extra). */
    static Timespec decode(int xtime, int extra) {
        long sec = xtime;
        if ((extra & EXT4_EPOCH_MASK) != 0) {
            sec += (long) (extra & EXT4_EPOCH_MASK) << 32;
        }
        return new Timespec(sec, (extra >>> EXT4_EPOCH_BITS) % 1_000_000_000);
    }

    @Override
    public int compareTo(Timespec o) {
        int c = Long.compare(sec, o.sec);
        return c != 0 ? c : Integer.compare(nsec, o.nsec);
    }
}
