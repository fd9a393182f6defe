package dev.ext4sim.ondisk.logwrites;

import dev.ext4sim.ondisk.Le;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a dm-log-writes log: {@code struct log_write_super} in the first sector, entries after it. The super's
 * {@code nr_entries} is rewritten after every flush, FUA write and mark (log_writes_kthread does so after FUA and mark
 * entries), so a log whose writer died still reads up to its last persistence point.
 */
public final class LogWrites implements AutoCloseable {
    public static final long LOG_FLUSH_FLAG = 1L << 0;
    public static final long LOG_FUA_FLAG = 1L << 1;
    public static final long LOG_DISCARD_FLAG = 1L << 2;
    public static final long LOG_MARK_FLAG = 1L << 3;
    public static final long LOG_METADATA_FLAG = 1L << 4;
    public static final long WRITE_LOG_VERSION = 1;
    public static final long WRITE_LOG_MAGIC = 0x6a736677736872L;
    /** sizeof(struct log_write_entry): sector, nr_sectors, flags, data_len. */
    static final int ENTRY_BYTES = 32;

    private final Path path;
    private final FileChannel channel;
    private final int sectorSize;
    private long entries;
    private long next;

    private LogWrites(Path path, FileChannel channel, int sectorSize) {
        this.path = path;
        this.channel = channel;
        this.sectorSize = sectorSize;
        this.next = sectorSize;
    }

    /** A new, empty log in {@code path} (replacing any), for a device of {@code sectorSize}-byte logical blocks. */
    public static LogWrites create(Path path, int sectorSize) {
        try {
            LogWrites log = new LogWrites(path, FileChannel.open(path, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), sectorSize);
            log.writeSuper();
            return log;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the write log " + path + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    public long entries() {
        return entries;
    }

    /** A write of {@code len} bytes (whole sectors) of {@code data} from {@code off} at {@code sector}. */
    public void write(long sector, byte[] data, int off, int len, long flags) {
        if (len % sectorSize != 0) {
            throw new IllegalArgumentException("a write of " + len + " bytes is not whole " + sectorSize + "-byte sectors");
        }
        entry(sector, len / sectorSize, flags, 0, null);
        put(ByteBuffer.wrap(data, off, len));
        if ((flags & (LOG_FUA_FLAG | LOG_FLUSH_FLAG)) != 0) {
            writeSuper();
        }
    }

    /** A cache flush with no data (an empty WRITE with PREFLUSH reaching the device). */
    public void flush() {
        entry(0, 0, LOG_FLUSH_FLAG, 0, null);
        writeSuper();
    }

    /** A mark ({@code dmsetup message DEV 0 mark TEXT}): at most a sector less the entry, as log_mark cuts it. */
    public void mark(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int max = sectorSize - ENTRY_BYTES - 1;
        if (b.length > max) {
            b = java.util.Arrays.copyOf(b, max);
        }
        entry(0, 0, LOG_MARK_FLAG, b.length, b);
        writeSuper();
    }

    private void entry(long sector, long nrSectors, long flags, long dataLen, byte[] markText) {
        byte[] s = new byte[sectorSize];
        Le.u64(s, 0, sector);
        Le.u64(s, 8, nrSectors);
        Le.u64(s, 16, flags);
        Le.u64(s, 24, dataLen);
        if (markText != null) {
            System.arraycopy(markText, 0, s, ENTRY_BYTES, markText.length);
        }
        put(ByteBuffer.wrap(s));
        entries++;
    }

    private void put(ByteBuffer b) {
        try {
            while (b.hasRemaining()) {
                next += channel.write(b, next);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("write to the write log " + path + " failed: " + e.getMessage(), e);
        }
    }

    private void writeSuper() {
        byte[] s = new byte[sectorSize];
        Le.u64(s, 0, WRITE_LOG_MAGIC);
        Le.u64(s, 8, WRITE_LOG_VERSION);
        Le.u64(s, 16, entries);
        Le.u32(s, 24, sectorSize);
        try {
            ByteBuffer b = ByteBuffer.wrap(s);
            long at = 0;
            while (b.hasRemaining()) {
                at += channel.write(b, at);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("write to the write log " + path + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        writeSuper();
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
