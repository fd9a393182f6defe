/**
 * ext4-service on the bus: the adapters of the plain-Java core ({@code dev.ext4sim.ext4.fs}).
 *
 * <ul>
 *   <li>{@link dev.ext4sim.ext4.remote.BusBlockPort}: blk_submit to blockdev-service ("sda1") in the caller's task.</li>
 *   <li>{@link dev.ext4sim.ext4.remote.JournalPump}: the journal, streamed. Handles run locally and are queued at
 *       stop; one RUN_BATCH in flight per filesystem carries the queue, in order; tids resolve from its answer.
 *       ESTALE/ENODEV, a batch that timed out or failed with EIO, or a jbd2_journal_loaded event with another epoch:
 *       LOAD again, log again (fresh handles, newest contents) every block whose last logging is not known committed,
 *       redirect the lost tids to the last re-log handle, then resend the failed batch and go on. LOAD carries a
 *       mount id per process, so jbd2 flushes a dead predecessor's journal before a new mount reads the disk.</li>
 *   <li>{@link dev.ext4sim.ext4.remote.BusWriteback}: INODE_DIRTIED, PAGE_COUNTERS (coalesced: at most one in flight),
 *       INODE_EVICTED keyed by the device; BALANCE_DIRTY_PAGES only past DIRTY_LIMITS' freerun.</li>
 *   <li>{@link dev.ext4sim.ext4.remote.Ext4Server}: the Ext4Calls and jbd2's ordered-data call. Writers wait for room
 *       in the journal queue and take balance_dirty_pages' pause after the core returned, outside the filesystem
 *       lock; the ordered-data call needs only that lock, which nobody holds while waiting for jbd2.</li>
 *   <li>{@link dev.ext4sim.ext4.remote.Ext4Service}: mount at start (retrying while blockdev and jbd2 start), clean
 *       unmount when the application closes.</li>
 * </ul>
 */
package dev.ext4sim.ext4.remote;
