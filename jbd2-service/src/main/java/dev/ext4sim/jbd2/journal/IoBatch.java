package dev.ext4sim.jbd2.journal;

/**
 * Runs a burst of journal I/O as one submission (one plug): the bus device gathers the writes and turns the
 * writer's flushes into PREFLUSH/FUA flags. A plain device just runs it.
 */
@FunctionalInterface
public interface IoBatch {
    IoBatch DIRECT = Runnable::run;

    void run(Runnable io);
}
