package dev.ext4sim.bus.writeback;

import dev.ext4sim.bus.call.CallType;

/** What others ask of writeback-service (fs/fs-writeback.c, mm/page-writeback.c, kernel/sysctl.c's vm table). */
public final class WritebackCalls {
    public static final String SERVICE = "writeback-service";

    /**
     * sync(2)'s writeback half: wakeup_flusher_threads and sync_inodes_sb, which queue WB_SYNC_ALL work (reason
     * "sync") on the device's bdi_writeback and wait until the flusher wrote every inode dirtied before the call.
     */
    public static final CallType<SyncInodes, Synced> SYNC_INODES = CallType.json("sync_inodes_sb", 1, SyncInodes.class, Synced.class);

    /** /proc/sys/vm/dirty_*: read (value null) or write one setting while the system runs. */
    public static final CallType<Sysctl, SysctlValue> SYSCTL = CallType.json("proc_sysctl", 1, Sysctl.class, SysctlValue.class);

    private WritebackCalls() {
    }

    /** @param dev the filesystem's device, "sda1" (its disk's bdi is 8:0) */
    public record SyncInodes(String dev) {
    }

    public record Synced(long pagesWritten) {
    }

    /** @param name e.g. vm.dirty_expire_centisecs; {@code value} null reads it */
    public record Sysctl(String name, String value) {
    }

    public record SysctlValue(String name, String value) {
    }
}
