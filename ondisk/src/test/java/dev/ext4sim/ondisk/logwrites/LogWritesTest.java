package dev.ext4sim.ondisk.logwrites;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.ondisk.Le;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log's layout is dm-log-writes': the super, then per entry a sector and its data; a cut log reads to its end. */
class LogWritesTest {
    @TempDir
    Path dir;

    @Test
    void theSuperAndEntriesAreLaidOutAsTheKernelWritesThem() throws Exception {
        Path p = dir.resolve("log");
        try (LogWrites log = LogWrites.create(p, 4096)) {
            log.write(7, new byte[8192], 0, 8192, 0);
            log.flush();
            log.mark("op 3");
        }
        byte[] b = Files.readAllBytes(p);
        assertThat(Le.u64(b, 0)).isEqualTo(0x6a736677736872L);
        assertThat(Le.u64(b, 8)).isEqualTo(1);
        assertThat(Le.u64(b, 16)).isEqualTo(3);
        assertThat(Le.u32(b, 24)).isEqualTo(4096);
        // entry 0 at sector 1: sector 7, 2 sectors, no flags, no inline data; its data in sectors 2 and 3
        assertThat(Le.u64(b, 4096)).isEqualTo(7);
        assertThat(Le.u64(b, 4096 + 8)).isEqualTo(2);
        // the flush at sector 4, the mark at sector 5 with its text after the entry
        assertThat(Le.u64(b, 4 * 4096 + 16)).isEqualTo(LogWrites.LOG_FLUSH_FLAG);
        assertThat(Le.u64(b, 5 * 4096 + 16)).isEqualTo(LogWrites.LOG_MARK_FLAG);
        assertThat(new String(b, 5 * 4096 + 32, 4)).isEqualTo("op 3");
        assertThat(b).hasSize(6 * 4096);
    }

    @Test
    void aLogCutInsideAnEntryReadsUpToTheEntryBefore() throws Exception {
        Path p = dir.resolve("log");
        try (LogWrites log = LogWrites.create(p, 4096)) {
            log.write(1, new byte[4096], 0, 4096, LogWrites.LOG_FUA_FLAG);
            log.write(2, new byte[4 * 4096], 0, 4 * 4096, LogWrites.LOG_FUA_FLAG);
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.truncate(5 * 4096); // the second entry's data is cut short
        }
        try (LogWritesReader r = LogWritesReader.open(p)) {
            List<LogWriteEntry> e = r.list();
            assertThat(r.entries()).isEqualTo(2);
            assertThat(e).hasSize(1);
            assertThat(e.getFirst().fua()).isTrue();
            assertThat(e.getFirst().persistencePoint()).isTrue();
        }
    }
}
