package dev.ext4sim.ondisk.ext4;

/**
 * struct ext4_allocation_request, with what ext4_mb_group_or_file reads from the inode besides: i_size (bytes,
 * i_size_read), whether a file is open for writing on it (i_writecount), and the cpu the task runs on (which of the
 * per-cpu locality groups a small file's blocks come from).
 *
 * @param flags EXT4_MB_* hints ({@link Mballoc#HINT_DATA} and the like)
 */
public record AllocationRequest(long ino, long logical, int len, long goal, int flags, long lleft, long pleft,
                                long lright, long pright, long isize, boolean openForWrite, int cpu) {
    public AllocationRequest {
        if (len <= 0) {
            throw new IllegalArgumentException("allocation of " + len + " blocks");
        }
    }
}
