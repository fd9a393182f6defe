package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.crash.CrashPoints;
import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.Extent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 4.19's AIO direct write (io_submit of an O_DIRECT file): the writer's part returns -EIOCBQUEUED at submission; the
 * unwritten extents are converted later by the dio/sda1 kworker, and only then is the iocb's result reapable.
 */
class AioDirectIoTest {
    static final String DIO = "aio";
    static final String KWORKER = "kworker/1:0";
    static final Ext4Mount.WriteFlags DIRECT = new Ext4Mount.WriteFlags(false, false, false, true);
    static final Ext4Mount.WriteFlags DIRECT_DSYNC = new Ext4Mount.WriteFlags(false, false, true, true);

    @TempDir
    Path dir;

    private static byte[] pattern(int len, int seed) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    private static List<TraceEvent> ext4Events(Ext4Fixture f, int mark, String comm) {
        return f.sink.events().subList(mark, f.sink.events().size()).stream()
                .filter(e -> e.comm().equals(comm) && e.system().equals("ext4"))
                .filter(e -> !e.event().startsWith("ext4_mb_") && !e.event().startsWith("ext4_mballoc_"))
                .toList();
    }

    private static List<String> names(List<TraceEvent> events) {
        return events.stream().map(TraceEvent::event).toList();
    }

    private static String text(List<TraceEvent> events, String name, int nth) {
        return events.stream().filter(e -> e.event().equals(name)).skip(nth).findFirst().orElseThrow().text();
    }

    private static List<Extent> extentsOnDisk(Path image, int ino) {
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            return fs.extents().extents(fs.inodes().read(ino));
        }
    }

    private static void commit(Ext4Fixture f) {
        f.journal.commit();
        f.dev.flush();
    }

    /** A file of 32 KiB whose first two blocks are written and the rest a hole. */
    private static int fileWithHole(Ext4Fixture f, TraceContext w) {
        int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
        f.ext4.open(w, ino, true);
        f.ext4.write(w, ino, 0, pattern(8192, 1), DIRECT);
        f.ext4.truncate(w, ino, 32768);
        f.clock.advance(Duration.ofSeconds(1));
        return ino;
    }

    @Test
    void aHoleInsideIsizeIsQueuedAtSubmissionAndConvertedByTheDioKworker() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = fileWithHole(f, w);
            List<Ext4Mount.AioCompletion> completions = new ArrayList<>();
            f.ext4.kiComplete(completions::add);
            int mark = f.sink.events().size();
            int handles = f.journal.started().size();
            byte[] data = pattern(4096, 3);

            Ext4Mount.WriteResult r = f.ext4.writeAio(w, ino, 16384, data, DIRECT, 1);

            assertThat(r.written()).isEqualTo(DirectIo.EIOCBQUEUED);
            List<TraceEvent> writer = ext4Events(f, mark, DIO);
            assertThat(names(writer)).containsExactly(
                    "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",          // ext4_overwrite_io
                    "ext4_journal_start", "ext4_mark_inode_dirty", "ext4_direct_IO_enter",
                    "ext4_journal_start", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
                    "ext4_ext_map_blocks_enter", "ext4_ext_show_extent", "ext4_request_blocks", "ext4_allocate_blocks",
                    "ext4_mark_inode_dirty", "ext4_ext_map_blocks_exit",
                    "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit", "ext4_es_insert_extent",
                    "ext4_direct_IO_exit");
            assertThat(text(writer, "ext4_ext_map_blocks_enter", 0)).isEqualTo("dev 8,1 ino 12 lblk 4 len 1 flags CREATE|UNWRIT|PRE_IO");
            String allocated = text(writer, "ext4_ext_map_blocks_exit", 0);
            assertThat(allocated).matches("dev 8,1 ino 12 flags CREATE\\|UNWRIT\\|PRE_IO lblk 4 pblk \\d+ len 1 mflags NMU ret 1");
            long pblk = Long.parseLong(allocated.replaceAll(".* pblk (\\d+) .*", "$1"));
            assertThat(text(writer, "ext4_direct_IO_exit", 0)).isEqualTo("dev 8,1 ino 12 pos 16384 len 4096 rw 1 ret -529");
            assertThat(f.journal.started().subList(handles, f.journal.started().size()).stream().map(FakeJournal.Started::type))
                    .containsExactly(Super.HT_INODE, Super.HT_MAP_BLOCKS);
            assertThat(f.block.submitted().stream().filter(s -> s.comm().equals(DIO)).map(s -> s.bio().data()).toList())
                    .last().isEqualTo(data);

            // the data is on the device, the extent unwritten: zeros, no result yet
            assertThat(completions).isEmpty();
            assertThat(f.ext4.read(w, ino, 16384, 4096)).isEqualTo(new byte[4096]);
            commit(f);
            assertThat(extentsOnDisk(f.image, ino)).contains(new Extent(4, 1, pblk, true));
            assertThat(ext4Events(f, mark, KWORKER)).isEmpty();

            int kmark = f.sink.events().size();
            assertThat(f.ext4.runDioWork()).isEqualTo(1);

            List<TraceEvent> kworker = ext4Events(f, kmark, KWORKER);
            assertThat(names(kworker)).containsExactly(
                    "ext4_journal_start", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
                    "ext4_ext_map_blocks_enter", "ext4_ext_show_extent", "ext4_ext_handle_unwritten_extents",
                    "ext4_mark_inode_dirty", "ext4_ext_map_blocks_exit", "ext4_es_insert_extent", "ext4_mark_inode_dirty");
            assertThat(kworker).allSatisfy(e -> {
                assertThat(e.pid()).isEqualTo(18);
                assertThat(e.cpu()).isEqualTo(1);
                assertThat(e.traceId()).isEqualTo(w.traceId());
            });
            assertThat(text(kworker, "ext4_journal_start", 0)).isEqualTo(
                    "dev 8,1 blocks, 8 rsv_blocks, 0 caller ext4_convert_unwritten_extents+0xa8/0x1b0");
            assertThat(text(kworker, "ext4_ext_map_blocks_enter", 0)).isEqualTo("dev 8,1 ino 12 lblk 4 len 1 flags CREATE|UNWRIT|CONVERT");
            assertThat(text(kworker, "ext4_ext_map_blocks_exit", 0)).isEqualTo("dev 8,1 ino 12 flags CREATE|UNWRIT|CONVERT lblk 4 pblk "
                    + pblk + " len 1 mflags M ret 1");
            assertThat(ext4Events(f, kmark, DIO)).isEmpty();
            assertThat(completions).containsExactly(new Ext4Mount.AioCompletion(1, w.task(), 4096, w.traceId()));

            assertThat(f.ext4.read(w, ino, 16384, 4096)).isEqualTo(data);
            commit(f);
            assertThat(extentsOnDisk(f.image, ino)).contains(new Extent(4, 1, pblk, false)).noneMatch(Extent::unwritten);
            assertThat(f.ext4.runDioWork()).isZero();
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
            byte[] file = E2fsprogs.debugfs(f.image, "cat /f").stdout();
            assertThat(Arrays.copyOfRange(file, 16384, 20480)).isEqualTo(data);
        }
    }

    @Test
    void anAioWritePastIsizeIsSynchronous() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            List<Ext4Mount.AioCompletion> completions = new ArrayList<>();
            f.ext4.kiComplete(completions::add);
            int mark = f.sink.events().size();

            Ext4Mount.WriteResult r = f.ext4.writeAio(w, ino, 0, pattern(8192, 2), DIRECT, 5);

            assertThat(r.written()).isEqualTo(8192);
            assertThat(r.pos()).isEqualTo(8192);
            List<TraceEvent> writer = ext4Events(f, mark, DIO);
            assertThat(text(writer, "ext4_direct_IO_exit", 0)).endsWith("ret 8192");
            assertThat(text(writer, "ext4_ext_map_blocks_enter", 1)).endsWith("flags CREATE");
            assertThat(f.ext4.getattr(w, ino).size()).isEqualTo(8192);
            // the caller completes it (aio_rw_done): nothing left for the kworker
            assertThat(f.ext4.runDioWork()).isZero();
            assertThat(completions).isEmpty();
            assertThat(ext4Events(f, mark, KWORKER)).isEmpty();
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void anOverwriteOfWrittenBlocksCompletesInTheBiosCompletionWithoutTheKworker() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = fileWithHole(f, w);
            List<Ext4Mount.AioCompletion> completions = new ArrayList<>();
            f.ext4.kiComplete(completions::add);
            int mark = f.sink.events().size();

            Ext4Mount.WriteResult r = f.ext4.writeAio(w, ino, 0, pattern(4096, 9), DIRECT, 2);

            assertThat(r.written()).isEqualTo(DirectIo.EIOCBQUEUED);
            assertThat(completions).containsExactly(new Ext4Mount.AioCompletion(2, w.task(), 4096, w.traceId()));
            assertThat(f.ext4.runDioWork()).isZero();
            assertThat(ext4Events(f, mark, KWORKER)).isEmpty();
            assertThat(f.ext4.read(w, ino, 0, 4096)).isEqualTo(pattern(4096, 9));
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void oDsyncSyncsInTheKworkerBeforeTheCompletion() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = fileWithHole(f, w);
            List<Ext4Mount.AioCompletion> completions = new ArrayList<>();
            f.ext4.kiComplete(completions::add);
            int mark = f.sink.events().size();

            f.ext4.writeAio(w, ino, 16384, pattern(4096, 4), new Ext4Mount.WriteFlags(false, false, true, true), 3);

            assertThat(names(ext4Events(f, mark, DIO))).doesNotContain("ext4_sync_file_enter");
            f.ext4.runDioWork();
            List<String> kworker = names(ext4Events(f, mark, KWORKER));
            assertThat(kworker).contains("ext4_sync_file_enter", "ext4_sync_file_exit");
            assertThat(kworker.indexOf("ext4_sync_file_enter")).isGreaterThan(kworker.indexOf("ext4_ext_handle_unwritten_extents"));
            assertThat(completions).extracting(Ext4Mount.AioCompletion::res).containsExactly(4096L);
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void aTruncateWaitsForTheQueuedConversion() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = fileWithHole(f, w);
            List<Ext4Mount.AioCompletion> completions = new ArrayList<>();
            f.ext4.kiComplete(completions::add);
            f.ext4.writeAio(w, ino, 16384, pattern(4096, 5), DIRECT, 4);
            int mark = f.sink.events().size();

            f.ext4.truncate(w, ino, 20480);

            List<TraceEvent> after = f.sink.events().subList(mark, f.sink.events().size());
            int lastKworker = -1;
            int firstWriter = Integer.MAX_VALUE;
            for (int i = 0; i < after.size(); i++) {
                if (after.get(i).comm().equals(KWORKER)) {
                    lastKworker = i;
                } else if (after.get(i).comm().equals(DIO)) {
                    firstWriter = Math.min(firstWriter, i);
                }
            }
            assertThat(lastKworker).isNotNegative().isLessThan(firstWriter);
            assertThat(completions).extracting(Ext4Mount.AioCompletion::res).containsExactly(4096L);
            assertThat(f.ext4.read(w, ino, 16384, 4096)).isEqualTo(pattern(4096, 5));
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void misalignedAioWritesAreEinvalAndQueueNothing() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = fileWithHole(f, w);
            List<Ext4Mount.AioCompletion> completions = new ArrayList<>();
            f.ext4.kiComplete(completions::add);
            int mark = f.sink.events().size();
            assertThatThrownBy(() -> f.ext4.writeAio(w, ino, 512, new byte[4096], DIRECT, 6))
                    .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
            assertThat(f.sink.events().subList(mark, f.sink.events().size())).isEmpty();
            assertThat(f.ext4.runDioWork()).isZero();
            assertThat(completions).isEmpty();
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void theKickWakesTheWorkerWhenWorkIsQueued() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = fileWithHole(f, w);
            int[] kicks = {0};
            f.ext4.dioWorker(() -> kicks[0]++);
            f.ext4.writeAio(w, ino, 0, pattern(4096, 1), DIRECT, 7);   // overwrite: nothing deferred
            assertThat(kicks[0]).isZero();
            f.ext4.writeAio(w, ino, 16384, pattern(4096, 1), DIRECT, 8);
            assertThat(kicks[0]).isEqualTo(1);
            assertThat(f.ext4.runDioWork()).isEqualTo(1);
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }
    /** What the disk holds when ki_complete hands an iocb's result on: a crash from then on leaves at least this. */
    record AtEvent(long res, List<Extent> extentsOnDisk, byte[] blockOnDisk, int commits, List<String> flushes) {
    }

    private static AtEvent atEvent(Ext4Fixture f, Ext4Mount.AioCompletion c, int ino, long pblk) {
        byte[] block = new byte[4096];
        f.dev.read(pblk, block);
        return new AtEvent(c.res(), extentsOnDisk(f.image, ino), block, f.journal.commits().size(), f.block.flushes());
    }

    /** The block the writer's ext4_ext_map_blocks_exit since {@code mark} allocated. */
    private static long allocated(Ext4Fixture f, int mark) {
        String exit = text(ext4Events(f, mark, DIO), "ext4_ext_map_blocks_exit", 0);
        return Long.parseLong(exit.replaceAll(".* pblk (\\d+) .*", "$1"));
    }

    @Test
    void anODsyncAioWriteIntoAHoleIsCommittedConvertedBeforeItsEventComes() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = fileWithHole(f, w);
            List<AtEvent> seen = new ArrayList<>();
            long[] pblk = {-1};
            f.ext4.kiComplete(c -> seen.add(atEvent(f, c, ino, pblk[0])));
            byte[] data = pattern(4096, 6);
            int mark = f.sink.events().size();

            assertThat(f.ext4.writeAio(w, ino, 16384, data, DIRECT_DSYNC, 9).written()).isEqualTo(DirectIo.EIOCBQUEUED);
            pblk[0] = allocated(f, mark);
            int commitsBefore = f.journal.commits().size();
            assertThat(seen).isEmpty();

            assertThat(f.ext4.runDioWork()).isEqualTo(1);

            // dio_complete: ext4_end_io_dio's conversion, generic_write_sync's commit of it (whose commit block
            // flushes the cache the data bios went to), and only then ki_complete
            assertThat(seen).singleElement().satisfies(e -> {
                assertThat(e.res()).isEqualTo(4096);
                assertThat(e.commits()).isGreaterThan(commitsBefore);
                assertThat(e.extentsOnDisk()).contains(new Extent(4, 1, pblk[0], false)).noneMatch(Extent::unwritten);
                assertThat(e.blockOnDisk()).isEqualTo(data);
            });
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void anODsyncAioOverwriteFlushesTheCacheInTheKworkerBeforeItsEventComes() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            int ino = fileWithHole(f, w);
            commit(f); // nothing of the file left to commit: only the flush can make the overwrite durable
            long pblk = extentsOnDisk(f.image, ino).getFirst().map(0);
            List<AtEvent> seen = new ArrayList<>();
            f.ext4.kiComplete(c -> seen.add(atEvent(f, c, ino, pblk)));
            byte[] data = pattern(4096, 7);

            assertThat(f.ext4.writeAio(w, ino, 0, data, DIRECT_DSYNC, 10).written()).isEqualTo(DirectIo.EIOCBQUEUED);
            int flushesBefore = f.block.flushes().size();
            assertThat(seen).as("O_DSYNC defers even a completion with nothing to convert").isEmpty();

            assertThat(f.ext4.runDioWork()).isEqualTo(1);

            assertThat(seen).singleElement().satisfies(e -> {
                assertThat(e.res()).isEqualTo(4096);
                assertThat(e.flushes().subList(flushesBefore, e.flushes().size())).containsExactly(KWORKER);
                assertThat(e.blockOnDisk()).isEqualTo(data);
            });
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void aCrashInTheDioCompletionBeforeTheConversionLeavesZerosAndNoEvent() {
        Path image;
        int ino;
        byte[] old;
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            image = f.image;
            CrashPoints points = new CrashPoints(Ext4CrashPoints.points(KernelProfile.V4X), new Random(1), () -> {
                throw new IllegalStateException("died");
            });
            points.arm(Ext4CrashPoints.DIO_COMPLETE_BEFORE_CONVERSION, 1L, null);
            f.ext4.crashPoints(points::hit);
            TraceContext w = Ext4Fixture.writer(DIO, 7);
            ino = fileWithHole(f, w);
            List<Ext4Mount.AioCompletion> completions = new ArrayList<>();
            f.ext4.kiComplete(completions::add);
            // neither a synchronous write into a hole nor an AIO one with nothing to convert gets there
            f.ext4.write(w, ino, 12288, pattern(4096, 1), DIRECT_DSYNC);
            f.ext4.writeAio(w, ino, 0, pattern(4096, 2), DIRECT_DSYNC, 1);
            assertThat(f.ext4.runDioWork()).isEqualTo(1);
            assertThat(points.armed()).extracting(CrashPoints.Armed::hits).containsExactly(0L);
            old = f.ext4.read(w, ino, 0, 32768);
            int mark = f.sink.events().size();

            assertThat(f.ext4.writeAio(w, ino, 16384, pattern(8192, 3), DIRECT_DSYNC, 2).written())
                    .isEqualTo(DirectIo.EIOCBQUEUED);
            long pblk = allocated(f, mark);
            assertThatThrownBy(f.ext4::runDioWork).hasMessage("died");

            assertThat(completions).extracting(Ext4Mount.AioCompletion::id).containsExactly(1L);
            assertThat(ext4Events(f, mark, KWORKER)).isEmpty();
            byte[] onDevice = new byte[4096];
            f.dev.read(pblk, onDevice);
            assertThat(onDevice).as("the bios were done").isEqualTo(Arrays.copyOf(pattern(8192, 3), 4096));
            commit(f); // the worst the journal can hold: the allocation, committed
            assertThat(extentsOnDisk(image, ino)).contains(new Extent(4, 2, pblk, true));
        }
        try (Ext4Fixture after = new Ext4Fixture(image)) {
            TraceContext r = Ext4Fixture.writer("cat", 8);
            assertThat(after.ext4.read(r, ino, 0, 32768)).as("unwritten extents read as zeros: the old bytes")
                    .isEqualTo(old);
            after.unmountAndCheck();
        }
    }

    @Test
    void theDioCompletionsCrashPointIsA4xPoint() {
        assertThat(Ext4CrashPoints.points(KernelProfile.V4X)).extracting(CrashPoints.Point::name)
                .contains(Ext4CrashPoints.DIO_COMPLETE_BEFORE_CONVERSION, Ext4CrashPoints.DIRECT_IO_AFTER_BIOS);
        assertThat(Ext4CrashPoints.points(KernelProfile.V6X)).extracting(CrashPoints.Point::name)
                .doesNotContain(Ext4CrashPoints.DIO_COMPLETE_BEFORE_CONVERSION, Ext4CrashPoints.DIRECT_IO_AFTER_BIOS);
    }
}
