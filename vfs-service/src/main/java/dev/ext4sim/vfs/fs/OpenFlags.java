package dev.ext4sim.vfs.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * open(2) flags by name, checked as build_open_flags does: one access mode, O_DSYNC implied by O_SYNC, and a
 * name this VFS does not know is EINVAL rather than silently ignored.
 */
public record OpenFlags(Access access, Set<Flag> flags) {
    public enum Access {
        O_RDONLY, O_WRONLY, O_RDWR;

        public boolean canRead() {
            return this != O_WRONLY;
        }

        public boolean canWrite() {
            return this != O_RDONLY;
        }
    }

    public enum Flag {
        O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_SYNC, O_DSYNC, O_DIRECT, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_NOATIME
    }

    public OpenFlags {
        flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
    }

    public static OpenFlags parse(List<String> names) {
        Access access = null;
        EnumSet<Flag> flags = EnumSet.noneOf(Flag.class);
        for (String raw : names) {
            String name = raw == null ? "" : raw.trim().toUpperCase(Locale.ROOT);
            if (!name.startsWith("O_")) {
                name = "O_" + name;
            }
            Access a = accessNamed(name);
            if (a != null) {
                if (access != null && access != a) {
                    throw new ErrnoException(Errno.EINVAL, "open flags name two access modes, " + access + " and " + a
                            + "; give exactly one of O_RDONLY, O_WRONLY, O_RDWR");
                }
                access = a;
                continue;
            }
            try {
                flags.add(Flag.valueOf(name));
            } catch (IllegalArgumentException e) {
                throw new ErrnoException(Errno.EINVAL, "unknown open flag '" + raw + "'; known: O_RDONLY, O_WRONLY, O_RDWR, "
                        + EnumSet.allOf(Flag.class).toString().replaceAll("[\\[\\]]", ""));
            }
        }
        if (flags.contains(Flag.O_SYNC)) {
            flags.add(Flag.O_DSYNC); // __O_SYNC | O_DSYNC: O_SYNC implies O_DSYNC, as in uapi fcntl.h
        }
        return new OpenFlags(access == null ? Access.O_RDONLY : access, flags);
    }

    private static Access accessNamed(String name) {
        for (Access a : Access.values()) {
            if (a.name().equals(name)) {
                return a;
            }
        }
        return null;
    }

    public boolean has(Flag flag) {
        return flags.contains(flag);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(access.name());
        for (Flag f : Flag.values()) {
            if (flags.contains(f)) {
                s.append('|').append(f.name());
            }
        }
        return s.toString();
    }
}
