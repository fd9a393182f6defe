/**
 * The ports of ext4's kernel core: what it needs from the block device ({@link dev.ext4sim.ext4.port.BlockPort}), the
 * journal ({@link dev.ext4sim.ext4.port.JournalPort}, {@link dev.ext4sim.ext4.port.JournalHandle}) and the flusher
 * ({@link dev.ext4sim.ext4.port.WritebackPort}). Bus adapters implement them in the service; tests use in-process fakes.
 *
 * <p>The journal port is shaped so that an adapter may stream handles: nothing ext4 does needs an answer before
 * {@code stop()}, and the tid comes back as a {@link dev.ext4sim.ext4.port.JournalTid} resolved only by fsync.
 */
package dev.ext4sim.ext4.port;
