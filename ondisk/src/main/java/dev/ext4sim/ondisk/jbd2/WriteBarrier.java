package dev.ext4sim.ondisk.jbd2;

/**
 * Whether a commit waits for its log blocks to be durable before the commit block and makes the commit block
 * durable before returning: the kernel's default (barrier=1, no ASYNC_COMMIT), where the commit block goes out
 * with REQ_PREFLUSH|REQ_FUA. OFF is mount option barrier=0: the commit block is merely written after the others.
 */
public enum WriteBarrier {
    ON,
    OFF
}
