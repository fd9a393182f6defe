package dev.ext4sim.ext4.port;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/** One write bio of whole blocks: {@code data.length / 4096} blocks from {@code block}. */
public record DataBio(long block, byte[] data, Set<BioFlag> flags) {
    public enum BioFlag { SYNC, META, PREFLUSH, FUA }

    public DataBio {
        Objects.requireNonNull(data);
        if (data.length == 0 || data.length % BlockPort.BLOCK_SIZE != 0) {
            throw new ErrnoException(Errno.EINVAL, "a bio carries whole 4 KiB blocks, got " + data.length + " bytes");
        }
        flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
    }

    public int blocks() {
        return data.length / BlockPort.BLOCK_SIZE;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataBio b && block == b.block && Arrays.equals(data, b.data) && flags.equals(b.flags);
    }

    @Override
    public int hashCode() {
        return Objects.hash(block, Arrays.hashCode(data), flags);
    }

    @Override
    public String toString() {
        return "DataBio[block=" + block + ", blocks=" + blocks() + ", flags=" + flags + "]";
    }
}
