/**
 * The writeback kernel logic of fs/fs-writeback.c, mm/page-writeback.c and mm/backing-dev.c in plain Java: no Kafka,
 * no Spring. {@link dev.ext4sim.writeback.wb.Writeback} is the one entry point for adapters.
 *
 * <p>How the pieces are wired in a service:
 * <ul>
 *   <li>{@code new Writeback(Config.defaults(), ext4Port, tracer, TraceClock.since(boot), Scheduler.system(..),
 *       Writeback.kworkers())}; on {@code block_device_added}, {@code bdi_register(device)} creates bdi 8:0 with its
 *       flusher {@code kworker/u16:2} (pid 89); then {@code rebuild(dev)} for each mounted filesystem, which asks ext4
 *       ({@link dev.ext4sim.writeback.wb.Ext4Port#dirtyInodes}) for what is still dirty.</li>
 *   <li>ext4's notifications, per filesystem dev_t (8,1 is {@code 8 << 20 | 1}): {@code mark_inode_dirty(dev, ino,
 *       I_DIRTY_* bits)} (stamped with this service's jiffies, or with the writer's dirtied_when; the form with the
 *       writer's task and i_mode also traces writeback_dirty_inode_enqueue there), and the page counts, either as
 *       deltas ({@code account_page_dirtied}, {@code set_page_writeback}, {@code end_page_writeback},
 *       {@code account_page_cleaned}) or as ext4's absolute counts with a sequence number ({@code page_counters},
 *       which the service uses: see {@link dev.ext4sim.writeback.wb.PageCounters}); {@code evict_inode} and
 *       {@code kill_sb} when inodes or the filesystem go. The page counters move only by these notifications, for
 *       the flusher's writes too: ext4 sends them from its writepages, as the kernel counts them in the page
 *       cache.</li>
 *   <li>The flusher calls {@link dev.ext4sim.writeback.wb.Ext4Port#writepages} in the kworker's task and trace id;
 *       an errno (EIO, ETIMEDOUT) leaves the inode dirty for a later pass, ENOENT or ESTALE drops it.</li>
 *   <li>{@code sync_written(dev, caller)} (what the service's sync_inodes_sb call runs) and {@code sync(caller)}
 *       return futures that complete when the WB_SYNC_ALL works are done (sync(2) then
 *       waits for ext4's own sync_fs/journal commit, which is not here); {@code balance_dirty_pages_ratelimited}
 *       returns the pause a writer must take; {@code sysctl()} holds vm.dirty_* and applies changes at once.</li>
 * </ul>
 *
 * <p>jiffies ({@link dev.ext4sim.writeback.wb.Jiffies}) are HZ 250 ticks of the shared trace clock from
 * INITIAL_JIFFIES (4294892296), so a dirtied_when from ext4 means the same instant here.
 */
package dev.ext4sim.writeback.wb;
