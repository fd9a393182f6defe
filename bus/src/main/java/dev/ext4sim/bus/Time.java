package dev.ext4sim.bus;

/**
 * Where the bus reads the time. Injected, as Kafka's raft module injects its Time, so deadlines are tested
 * by advancing a manual clock instead of sleeping.
 */
public interface Time {
    Time SYSTEM = new Time() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long currentTimeMillis() {
            return System.currentTimeMillis();
        }
    };

    /** Monotonic, for measuring intervals. */
    long nanoTime();

    /** Wall clock, for deadlines that cross processes. */
    long currentTimeMillis();
}
