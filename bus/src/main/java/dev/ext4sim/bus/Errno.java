package dev.ext4sim.bus;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The errno values ext4sim answers with, numbered as on Linux x86_64 (include/uapi/asm-generic/errno*.h),
 * with the strerror(3) text. One type for every service, so an error keeps its name across hops.
 */
public enum Errno {
    EPERM(1, "Operation not permitted"),
    ENOENT(2, "No such file or directory"),
    EIO(5, "Input/output error"),
    EBADF(9, "Bad file descriptor"),
    EAGAIN(11, "Resource temporarily unavailable"),
    ENOMEM(12, "Cannot allocate memory"),
    EACCES(13, "Permission denied"),
    EBUSY(16, "Device or resource busy"),
    EEXIST(17, "File exists"),
    ENODEV(19, "No such device"),
    ENOTDIR(20, "Not a directory"),
    EISDIR(21, "Is a directory"),
    EINVAL(22, "Invalid argument"),
    EMFILE(24, "Too many open files"),
    EFBIG(27, "File too large"),
    ENOSPC(28, "No space left on device"),
    EROFS(30, "Read-only file system"),
    ENAMETOOLONG(36, "File name too long"),
    ENOSYS(38, "Function not implemented"),
    ENOTEMPTY(39, "Directory not empty"),
    EPROTO(71, "Protocol error"),
    EBADMSG(74, "Bad message"),
    EOVERFLOW(75, "Value too large for defined data type"),
    ETIMEDOUT(110, "Connection timed out"),
    ECONNREFUSED(111, "Connection refused"),
    EHOSTDOWN(112, "Host is down"),
    ESTALE(116, "Stale file handle"),
    EUCLEAN(117, "Structure needs cleaning");

    private static final Map<String, Errno> BY_NAME =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(Enum::name, Function.identity()));

    private final int code;
    private final String strerror;

    Errno(int code, String strerror) {
        this.code = code;
        this.strerror = strerror;
    }

    public int code() {
        return code;
    }

    public String strerror() {
        return strerror;
    }

    public static Optional<Errno> byName(String name) {
        return Optional.ofNullable(name == null ? null : BY_NAME.get(name));
    }
}
