package dev.ext4sim.bus.trace;

/**
 * The kernel's jiffies on the shared trace clock: HZ 250 from INITIAL_JIFFIES (-300 s, so they wrap 5 minutes after
 * boot as in the kernel), the same in every service, so a dirtied_when computed by ext4 means what writeback reads.
 */
public final class Jiffies {
    public static final int HZ = 250;
    public static final long INITIAL_JIFFIES = 4294892296L;
    public static final long NANOS_PER_JIFFY = 1_000_000_000L / HZ;

    private Jiffies() {
    }

    /** jiffies at {@code nanosSinceBoot} of the trace clock. */
    public static long at(long nanosSinceBoot) {
        return INITIAL_JIFFIES + Math.floorDiv(nanosSinceBoot, NANOS_PER_JIFFY);
    }
}
