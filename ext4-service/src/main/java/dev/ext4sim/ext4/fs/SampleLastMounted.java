package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.ext4.Ext4;
import dev.ext4sim.ondisk.ext4.SuperBlock;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * ext4_sample_last_mounted (file.c), which 6.x's ext4_file_open calls: the first open after the mount records the
 * mount point in s_last_mounted, in a one-credit MISC handle for the filesystem that journals the superblock's
 * buffer. 4.19 does the same inline, but the 4.x profile leaves it out.
 */
final class SampleLastMounted {
    /** d_path of the mount's root as ext4sim mounts the filesystem: what s_last_mounted records. */
    static final String MOUNT_POINT = "/";
    /** s_last_mounted: 64 bytes at this offset of the superblock, zero-padded (strtomem_pad). */
    private static final int S_LAST_MOUNTED = 0x88;
    private static final int S_LAST_MOUNTED_LEN = 64;

    private final Super sb;
    /** EXT4_MF_MNTDIR_SAMPLED. */
    private boolean sampled;

    SampleLastMounted(Super sb) {
        this.sb = sb;
    }

    void sample(TraceContext ctx) {
        if (sampled) {
            return;
        }
        sampled = true;
        Ext4Handle h = sb.journalStart(ctx, null, Super.HT_MISC, 1, Caller.FILE_OPEN_6X);
        try {
            SuperBlock es = sb.fs.superBlock();
            byte[] path = MOUNT_POINT.getBytes(StandardCharsets.UTF_8);
            Arrays.fill(es.raw(), S_LAST_MOUNTED, S_LAST_MOUNTED + S_LAST_MOUNTED_LEN, (byte) 0);
            System.arraycopy(path, 0, es.raw(), S_LAST_MOUNTED, Math.min(path.length, S_LAST_MOUNTED_LEN));
            es.updateChecksum();
            long block = Ext4.SUPERBLOCK_OFFSET / sb.fs.blockSize();
            byte[] buffer = sb.cache.buffer(block).clone();
            System.arraycopy(es.raw(), 0, buffer, Ext4.SUPERBLOCK_OFFSET % sb.fs.blockSize(), Ext4.SUPERBLOCK_SIZE);
            sb.cache.write(block, buffer);
        } finally {
            sb.journalStop(h);
        }
    }
}
