package dev.ext4sim.ondisk.logwrites;

import dev.ext4sim.ondisk.Le;
import dev.ext4sim.ondisk.OnDiskException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Reads a dm-log-writes log: its super, its entries in order, and the data of each (as replay-log does). */
public final class LogWritesReader implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final int sectorSize;
    private final long entries;

    private LogWritesReader(Path path, FileChannel channel, int sectorSize, long entries) {
        this.path = path;
        this.channel = channel;
        this.sectorSize = sectorSize;
        this.entries = entries;
    }

    public static LogWritesReader open(Path path) {
        try {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
            byte[] s = new byte[LogWrites.ENTRY_BYTES];
            read(ch, path, s, 0);
            if (Le.u64(s, 0) != LogWrites.WRITE_LOG_MAGIC || Le.u64(s, 8) != LogWrites.WRITE_LOG_VERSION) {
                ch.close();
                throw new OnDiskException("write log " + path, 0, "not a dm-log-writes log (magic "
                        + Long.toHexString(Le.u64(s, 0)) + ", version " + Le.u64(s, 8) + ")");
            }
            return new LogWritesReader(path, ch, (int) Le.u32(s, 24), Le.u64(s, 16));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the write log " + path + ": " + e.getMessage(), e);
        }
    }

    public int sectorSize() {
        return sectorSize;
    }

    /** nr_entries of the super: what the log holds up to its last persistence point or mark. */
    public long entries() {
        return entries;
    }

    /** Every entry the super counts, in order; an entry cut short by the end of the file ends the list. */
    public List<LogWriteEntry> list() {
        List<LogWriteEntry> out = new ArrayList<>();
        long at = sectorSize;
        byte[] s = new byte[sectorSize];
        try {
            long size = channel.size();
            for (long i = 0; i < entries && at + sectorSize <= size; i++) {
                read(channel, path, s, at);
                long sector = Le.u64(s, 0);
                long nr = Le.u64(s, 8);
                long flags = Le.u64(s, 16);
                long dataLen = Le.u64(s, 24);
                String mark = null;
                long data = at + sectorSize;
                if ((flags & LogWrites.LOG_MARK_FLAG) != 0) {
                    mark = new String(s, LogWrites.ENTRY_BYTES, (int) Math.min(dataLen, sectorSize - LogWrites.ENTRY_BYTES),
                            StandardCharsets.UTF_8);
                    at = data;
                } else if ((flags & LogWrites.LOG_DISCARD_FLAG) != 0) {
                    at = data;
                } else {
                    at = data + nr * sectorSize;
                }
                if (at > size) {
                    break;
                }
                out.add(new LogWriteEntry(i, sector, nr, flags, mark, data));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the write log " + path + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Sector {@code i} of the entry's data (0 ≤ i < nrSectors) into {@code dst}, one sector long. */
    public void data(LogWriteEntry e, long i, byte[] dst) {
        try {
            read(channel, path, dst, e.dataOffset() + i * sectorSize);
        } catch (IOException x) {
            throw new UncheckedIOException("cannot read the write log " + path + ": " + x.getMessage(), x);
        }
    }

    private static void read(FileChannel ch, Path path, byte[] dst, long at) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(dst);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw new OnDiskException("write log " + path, at, "ends inside an entry");
            }
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
