package dev.ext4sim.blockdev;

import dev.ext4sim.blockdev.ufs.LogWritesTarget;
import dev.ext4sim.blockdev.ufs.UfsDevice;
import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.ondisk.ImageFile;
import dev.ext4sim.ondisk.logwrites.LogWrites;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The device's write log (dm-log-writes), kept next to the image: {@code log-writes/base.img} is the disk as the log
 * began (the cache written back), {@code log-writes/log} every write after it in the order it became durable.
 */
final class LogWritesControl {
    /** What the admin API answers: where the files are and what the log holds. */
    record Status(boolean logging, String base, String log, long entries, long writes, long flushes, long fuas,
                  long marks, int unflushed) {
    }

    private final UfsDevice device;
    private final ImageFile image;
    private final Path dir;

    LogWritesControl(UfsDevice device, ImageFile image) {
        this.device = device;
        this.image = image;
        this.dir = image.path().toAbsolutePath().resolveSibling("log-writes");
    }

    synchronized Status start() {
        Path base = dir.resolve("base.img");
        Path logFile = dir.resolve("log");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make " + dir + ": " + e.getMessage(), e);
        }
        if (device.logWrites().isPresent()) {
            throw new ErrnoException(Errno.EBUSY, "writes are already being logged to " + logFile
                    + "; stop that log first (DELETE /v1/blockdev/log-writes)");
        }
        LogWrites log = LogWrites.create(logFile, image.blockSize());
        device.startLogWrites(new LogWritesTarget(log), () -> {
            image.flush();
            image.copySparse(base);
        });
        return status();
    }

    Status mark(String text) {
        if (text == null || text.isBlank()) {
            throw new ErrnoException(Errno.EINVAL, "a mark needs its text: {\"mark\":\"op 17\"}");
        }
        LogWritesTarget log = device.logWrites().orElseThrow(LogWritesControl::noLog);
        log.mark(text);
        return status();
    }

    synchronized Status stop() {
        LogWritesTarget.Stats s = device.stopLogWrites().orElseThrow(LogWritesControl::noLog);
        return status(false, s);
    }

    Status status() {
        return device.logWrites().map(l -> status(true, l.stats()))
                .orElseGet(() -> status(false, new LogWritesTarget.Stats(0, 0, 0, 0, 0, 0)));
    }

    private Status status(boolean logging, LogWritesTarget.Stats s) {
        return new Status(logging, dir.resolve("base.img").toString(), dir.resolve("log").toString(), s.entries(),
                s.writes(), s.flushes(), s.fuas(), s.marks(), s.unflushed());
    }

    private static ErrnoException noLog() {
        return new ErrnoException(Errno.ENOENT, "no write log is running; start one with POST /v1/blockdev/log-writes");
    }
}
