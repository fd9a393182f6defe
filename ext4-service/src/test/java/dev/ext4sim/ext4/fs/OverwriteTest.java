package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4;
import dev.ext4sim.ondisk.ext4.Timespec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Overwrites reserve nothing; a partial write into a block that is only on disk reads it first. */
class OverwriteTest {
    @TempDir
    Path dir;

    private static long count(Ext4Fixture f, String comm, String event) {
        return f.names(comm).stream().filter(event::equals).count();
    }

    @Test
    void delayedAndAllocatedBlocksAreNotReservedAgain() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("w", 2);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.write(w, ino, 0, new byte[8192], Ext4Mount.WriteFlags.NONE);
            f.ext4.write(w, ino, 100, new byte[5000], Ext4Mount.WriteFlags.NONE); // both pages delayed already
            assertThat(count(f, "w", "ext4_da_reserve_space")).isEqualTo(2);
            assertThat(f.ext4.getattr(w, ino).blocks()).isEqualTo(16);
            f.flushAll();
            f.sink.clear();
            f.ext4.write(w, ino, 4000, new byte[200], Ext4Mount.WriteFlags.NONE); // allocated now
            assertThat(count(f, "w", "ext4_da_reserve_space")).isZero();
            // the pages are cached with mapped buffers: write_begin maps nothing (no status lookup at all)
            assertThat(count(f, "w", "ext4_es_lookup_extent_enter")).isZero();
            assertThat(count(f, "w", "ext4_da_write_begin")).isEqualTo(2);
            assertThat(f.ext4.getattr(w, ino).blocks()).isEqualTo(16);
            f.flushAll();
            f.unmountAndCheck();
        }
    }

    @Test
    void partialOverwriteAfterRemountReadsTheBlockFirst() {
        Path image;
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            image = f.image;
            TraceContext w = Ext4Fixture.writer("w", 2);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.write(w, ino, 0, "0123456789abcdef".getBytes(StandardCharsets.US_ASCII), Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(w, ino, false);
            f.unmountAndCheck();
        }
        try (Ext4Fixture f = new Ext4Fixture(image)) {
            TraceContext w = Ext4Fixture.writer("w", 3);
            int ino = f.ext4.lookupPath(w, "/f");
            long readsBefore = f.block.blocksRead();
            f.ext4.write(w, ino, 4, "XY".getBytes(StandardCharsets.US_ASCII), Ext4Mount.WriteFlags.NONE);
            assertThat(f.block.blocksRead()).isEqualTo(readsBefore + 1);
            // an allocated block: the status lookup misses, the extent tree maps it, nothing is reserved
            assertThat(f.names("w")).contains("ext4_ext_map_blocks_enter").doesNotContain("ext4_da_reserve_space");
            assertThat(f.events("w").stream().filter(e -> e.event().equals("ext4_mark_inode_dirty")).count())
                    .as("i_disksize follows at write_end for an allocated block, no more").isLessThanOrEqualTo(2);
            assertThat(f.ext4.read(w, ino, 0, 100)).isEqualTo("0123XY6789abcdef".getBytes(StandardCharsets.US_ASCII));
            f.ext4.fsync(w, ino, true);
            f.unmountAndCheck();
        }
        assertThat(E2fsprogs.debugfs(image, "cat /f").stdout()).isEqualTo("0123XY6789abcdef".getBytes(StandardCharsets.US_ASCII));
        assertThat(E2fsprogs.run("dumpe2fs", "-h", image.toString()).output()).contains("Mount count:              2");
    }

    @Test
    void fdatasyncOfAnOverwriteFlushesWithoutACommit() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("w", 2);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.write(w, ino, 0, new byte[4096], Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(w, ino, false);
            int commits = f.journal.commits().size();
            int flushes = f.block.flushes().size();
            byte[] data = "overwritten".getBytes(StandardCharsets.US_ASCII);
            f.ext4.write(w, ino, 0, data, new Ext4Mount.WriteFlags(false, false, true)); // O_DSYNC
            assertThat(f.journal.commits()).hasSize(commits); // nothing fdatasync needs was journaled since
            assertThat(f.block.flushes()).hasSize(flushes + 1).last().isEqualTo("w");
            assertThat(f.block.submitted().getLast().bio().data()).startsWith(data);
            assertThat(f.names("w")).contains("ext4_sync_file_enter");
            assertThat(f.events("w").stream().filter(e -> e.event().equals("ext4_sync_file_enter")).reduce((a, b) -> b)
                    .orElseThrow().text()).isEqualTo("dev 8,1 ino 12 parent 2 datasync 1 ");
            f.unmountAndCheck();
        }
    }

    @Test
    void anFsyncSaysWhetherDataOrderedHasAnyPageOverAnAllocatedBlockLeftToWrite() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("w", 2);
            int a = f.ext4.create(w, Ext4.ROOT_INO, "a", 0644);
            int b = f.ext4.create(w, Ext4.ROOT_INO, "b", 0644);
            f.ext4.write(w, a, 0, new byte[4096], Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(w, a, false);
            assertThat(f.journal.orderedDataWritten).as("nothing dirty anywhere").containsExactly(true);

            f.ext4.write(w, b, 0, new byte[4096], Ext4Mount.WriteFlags.NONE);
            f.ext4.write(w, a, 4096, new byte[4096], Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(w, a, false);
            assertThat(f.journal.orderedDataWritten).as("b's page is delayed: writeback's, not data=ordered's")
                    .containsExactly(true, true);

            f.flushAll();
            f.ext4.write(w, b, 0, new byte[100], Ext4Mount.WriteFlags.NONE);
            f.ext4.write(w, a, 8192, new byte[4096], Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(w, a, false);
            assertThat(f.journal.orderedDataWritten).as("b's page over its allocated block is dirty again")
                    .containsExactly(true, true, false);
            f.flushAll();
            f.unmountAndCheck();
        }
    }

    @Test
    void withSecondGranularityAWriteUpdatesTheTimesOnlyInALaterSecond() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            f.ext4.timeGranularity(java.time.Duration.ofSeconds(1));
            TraceContext w = Ext4Fixture.writer("w", 2);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.clock.advanceMillis(5);
            f.sink.clear();
            f.ext4.write(w, ino, 0, new byte[10], Ext4Mount.WriteFlags.NONE);
            // whole seconds: the times carry no nanoseconds
            Timespec first = f.ext4.getattr(w, ino).mtime();
            assertThat(first.nsec()).isZero();
            assertThat(first.sec()).isEqualTo(f.clock.currentTimeMillis() / 1000);
            f.clock.advanceMillis(1500);
            f.sink.clear();
            f.ext4.write(w, ino, 10, new byte[10], Ext4Mount.WriteFlags.NONE);
            assertThat(f.names("w").subList(0, 7)).containsExactly("writeback_mark_inode_dirty", "writeback_dirty_inode_start",
                    "ext4_journal_start", "ext4_mark_inode_dirty", "block_touch_buffer", "writeback_dirty_inode",
                    "ext4_da_write_begin");
            assertThat(f.ext4.getattr(w, ino).mtime()).isEqualTo(Timespec.ofSeconds(f.clock.currentTimeMillis() / 1000));
            f.flushAll();
            f.unmountAndCheck();
        }
    }

    @Test
    void aWriteInALaterJiffyUpdatesTheTimesInItsOwnHandleFirst() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("w", 2);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.clock.advanceMillis(5);
            f.sink.clear();
            f.ext4.write(w, ino, 0, new byte[10], Ext4Mount.WriteFlags.NONE);
            assertThat(f.names("w").subList(0, 7)).containsExactly("writeback_mark_inode_dirty", "writeback_dirty_inode_start",
                    "ext4_journal_start", "ext4_mark_inode_dirty", "block_touch_buffer", "writeback_dirty_inode",
                    "ext4_da_write_begin");
            assertThat(f.events("w").getFirst().text()).isEqualTo("bdi 8:0: ino=12 state= flags=I_DIRTY_SYNC");
            long nowNanos = f.clock.currentTimeMillis() * 1_000_000L;
            Timespec mtime = f.ext4.getattr(w, ino).mtime();
            assertThat(mtime.toEpochNanos()).as("the coarse clock: the last jiffy (4 ms) at or before now")
                    .isLessThanOrEqualTo(nowNanos).isGreaterThan(nowNanos - 4_000_000L);
            assertThat(mtime.toEpochNanos() % 4_000_000L).isZero();

            // within the same jiffy current_time has not moved: no update, no handle
            f.sink.clear();
            f.ext4.write(w, ino, 10, new byte[10], Ext4Mount.WriteFlags.NONE);
            assertThat(f.names("w").getFirst()).isEqualTo("ext4_da_write_begin");
            assertThat(f.ext4.getattr(w, ino).mtime()).isEqualTo(mtime);

            f.clock.advanceMillis(4);
            f.sink.clear();
            f.ext4.write(w, ino, 20, new byte[10], Ext4Mount.WriteFlags.NONE);
            assertThat(f.names("w").getFirst()).isEqualTo("writeback_mark_inode_dirty");
            assertThat(f.ext4.getattr(w, ino).mtime().toEpochNanos() - mtime.toEpochNanos()).isEqualTo(4_000_000L);
            f.flushAll();
            f.unmountAndCheck();
        }
    }

    @Test
    void aPageReadFromDiskThenOverwrittenIsWrittenBack() {
        Path image;
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            image = f.image;
            TraceContext w = Ext4Fixture.writer("w", 2);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.write(w, ino, 0, new byte[3 * 4096], Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(w, ino, false);
            f.unmountAndCheck();
        }
        try (Ext4Fixture f = new Ext4Fixture(image)) {
            TraceContext w = Ext4Fixture.writer("w", 3);
            int ino = f.ext4.lookupPath(w, "/f");
            assertThat(f.ext4.read(w, ino, 0, 3 * 4096)).hasSize(3 * 4096); // cached clean, buffers mapped
            f.ext4.write(w, ino, 4096 + 10, "abc".getBytes(StandardCharsets.US_ASCII), Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(w, ino, false);
            assertThat(f.ext4.dirtyPages()).isZero();
            f.unmountAndCheck();
        }
        byte[] all = E2fsprogs.debugfs(image, "cat /f").stdout();
        assertThat(new String(all, 4096 + 10, 3, StandardCharsets.US_ASCII)).isEqualTo("abc");
    }

    @Test
    void truncateToZeroThenRewriteAllocatesAtClose() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("editor", 9);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "config", 0644);
            f.ext4.open(w, ino, true);
            f.ext4.write(w, ino, 0, "old contents".getBytes(StandardCharsets.US_ASCII), Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(w, ino, false);
            f.ext4.truncate(w, ino, 0); // open(O_TRUNC)
            f.ext4.write(w, ino, 0, "new".getBytes(StandardCharsets.US_ASCII), Ext4Mount.WriteFlags.NONE);
            f.sink.clear();
            f.ext4.release(w, ino, true);
            assertThat(f.names("editor")).startsWith("ext4_alloc_da_blocks", "ext4_writepages").endsWith("ext4_discard_preallocations");
            assertThat(f.events("editor").getFirst().text()).isEqualTo("dev 8,1 ino 12 reserved_data_blocks 1");
            assertThat(f.ext4.dirtyPages()).isZero();
            f.unmountAndCheck();
            assertThat(E2fsprogs.debugfs(f.image, "cat /config").stdout()).isEqualTo("new".getBytes(StandardCharsets.US_ASCII));
        }
    }
}
