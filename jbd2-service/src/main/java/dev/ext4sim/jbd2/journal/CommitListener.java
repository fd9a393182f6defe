package dev.ext4sim.jbd2.journal;

/** Told of every finished commit, in T_COMMIT_CALLBACK (ext4's j_commit_callback, the metrics), and of checkpoints. */
@FunctionalInterface
public interface CommitListener {
    CommitListener NONE = stats -> {
    };

    void committed(RunStats stats);

    /** A checkpoint wrote {@code written} home blocks and freed {@code transactions} transactions. */
    default void checkpointed(int transactions, int written, boolean forced) {
    }
}
