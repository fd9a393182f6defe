package dev.ext4sim.bus.vfs;

import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.call.Codecs;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The system calls the gateway sends to vfs-service (fs/open.c, read_write.c, sync.c). The calling process is the
 * call's trace context task: its pid selects the fd table, its comm-pid is the writer task in the trace.
 */
public final class VfsCalls {
    public static final String SERVICE = "vfs-service";

    /** do_sys_open. */
    public static final CallType<Open, Opened> OPEN = CallType.json("do_sys_open", 1, Open.class, Opened.class);

    /** ksys_write / ksys_pwrite64: the bytes travel raw after a small header. */
    public static final CallType<Write, Written> WRITE = new CallType<>("ksys_write", 1,
            Codecs.framed(WriteHeader.class, Write::header, (h, d) -> new Write(h.fd(), h.offset(), d), Write::data),
            Codecs.json(Written.class));

    /** ksys_read / ksys_pread64: the reply is the bytes read (short at end of file). */
    public static final CallType<Read, byte[]> READ = new CallType<>("ksys_read", 1, Codecs.json(Read.class), Codecs.bytes());

    /** do_fsync (datasync false/true) and close_fd, by {@link FdCall#op()}. */
    public static final CallType<FdCall, Ret> FD = CallType.json("vfs_fd_call", 1, FdCall.class, Ret.class);

    /** ksys_sync. */
    public static final CallType<Sync, Ret> SYNC = CallType.json("ksys_sync", 1, Sync.class, Ret.class);

    /** vfs_statx by path. */
    public static final CallType<StatPath, Stat> STAT = CallType.json("vfs_statx", 1, StatPath.class, Stat.class);

    /** do_mkdirat. */
    public static final CallType<Mkdir, Ret> MKDIR = CallType.json("do_mkdirat", 1, Mkdir.class, Ret.class);

    /** do_unlinkat (unlink(2), not rmdir). */
    public static final CallType<Unlink, Ret> UNLINK = CallType.json("do_unlinkat", 1, Unlink.class, Ret.class);

    /** do_sys_ftruncate: ftruncate(2) of an fd open for writing. */
    public static final CallType<Ftruncate, Ret> FTRUNCATE = CallType.json("do_sys_ftruncate", 1, Ftruncate.class, Ret.class);

    public static final String FSYNC = "fsync";
    public static final String FDATASYNC = "fdatasync";
    public static final String CLOSE = "close";

    private VfsCalls() {
    }

    /**
     * @param flags open(2) flag names: O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_SYNC,
     *              O_DSYNC, O_DIRECT, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC
     * @param mode  permission bits for O_CREAT, as the number the octal text "0644" gives
     */
    public record Open(String path, List<String> flags, int mode) {
        public Open {
            flags = flags == null ? List.of() : List.copyOf(flags);
        }
    }

    public record Opened(int fd) {
    }

    /** @param offset -1 writes at the file position (write), otherwise there (pwrite) */
    public record Write(int fd, long offset, byte[] data) {
        public Write {
            data = data == null ? new byte[0] : data;
        }

        WriteHeader header() {
            return new WriteHeader(fd, offset);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Write w && fd == w.fd && offset == w.offset && Arrays.equals(data, w.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(fd, offset, Arrays.hashCode(data));
        }

        @Override
        public String toString() {
            return "Write[fd=" + fd + ", offset=" + offset + ", data=" + data.length + " bytes]";
        }
    }

    record WriteHeader(int fd, long offset) {
    }

    public record Written(long written) {
    }

    /** @param offset -1 reads at the file position (read), otherwise there (pread) */
    public record Read(int fd, long offset, long length) {
    }

    /** @param op {@link #FSYNC}, {@link #FDATASYNC} or {@link #CLOSE} */
    public record FdCall(int fd, String op) {
    }

    public record Ftruncate(int fd, long length) {
    }

    public record Ret(int ret) {
    }

    public record Sync() {
    }

    public record StatPath(String path) {
    }

    /** @param mode permission bits, as the number the octal text "0755" gives; -1 for 0755 */
    public record Mkdir(String path, int mode) {
    }

    public record Unlink(String path) {
    }

    /** struct stat as userspace sees it; times in nanoseconds since the epoch. */
    public record Stat(long ino, int mode, int nlink, long size, long blocks, int blksize, long atimeNs, long mtimeNs,
                       long ctimeNs, String dev) {
    }
}
