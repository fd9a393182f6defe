package dev.ext4sim.jbd2.journal;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * Runs a burst of journal I/O as one submission (one plug): the bus device gathers the writes and turns the
 * writer's flushes into PREFLUSH/FUA flags. A plain device just runs it.
 */
@FunctionalInterface
public interface IoBatch {
    IoBatch DIRECT = Runnable::run;

    void run(Runnable io);

    /**
     * blk_finish_plug inside a batch: the writes gathered so far go to the device now and have completed when this
     * returns, as the commit sends its log and waits for it before the commit record. A plain device has nothing
     * gathered.
     */
    default void finishPlug() {
    }

    /** A batch whose {@link #finishPlug} runs {@code finishPlug} (the bus device's sendPending). */
    static IoBatch of(Consumer<Runnable> batch, Runnable finishPlug) {
        Objects.requireNonNull(batch);
        Objects.requireNonNull(finishPlug);
        return new IoBatch() {
            @Override
            public void run(Runnable io) {
                batch.accept(io);
            }

            @Override
            public void finishPlug() {
                finishPlug.run();
            }
        };
    }
}
