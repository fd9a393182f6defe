package dev.ext4sim.ext4.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.ext4.Ext4Calls;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.E2fsprogs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The write path end to end with real processes: vfs's calls into ext4-service, ext4's handles streamed to
 * jbd2-service, data and commits through blockdev-service into a real image that e2fsprogs reads.
 */
class Ext4WritePathIT {
    static final Duration CALL = Duration.ofSeconds(90);

    @Test
    void theSeedProgramsHelloWorldIsOnTheImageAfterFsync() throws Exception {
        try (Ext4Stack s = new Ext4Stack("seed", 128L << 20)) {
            s.start();
            TraceContext demo = Ext4Stack.ctx("demo", 1234);
            Ext4Calls.Attr a = Ext4Stack.call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "hello", 0644, false), demo, CALL);
            assertThat(a.ino()).as("the first file on a fresh filesystem").isEqualTo(12);
            assertThat(a.isRegular()).isTrue();
            long t0 = System.nanoTime();
            Ext4Calls.WriteResult w = Ext4Stack.call(Ext4Calls.WRITE_ITER, new Ext4Calls.WriteIter("sda1", 12, 0, false,
                    false, false, "hello world\n".getBytes(StandardCharsets.US_ASCII)), demo, CALL);
            long t1 = System.nanoTime();
            assertThat(w).isEqualTo(new Ext4Calls.WriteResult(12, 12, 12));
            Ext4Stack.call(Ext4Calls.FSYNC, new Ext4Calls.Fsync("sda1", 12, false), demo, CALL);
            long t2 = System.nanoTime();
            System.out.printf("seed: write_iter over the bus %.1f ms, fsync %.1f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6);
            assertThat(Ext4Stack.call(Ext4Calls.READ_ITER, new Ext4Calls.ReadIter("sda1", 12, 0, 100), demo, CALL))
                    .asString(StandardCharsets.US_ASCII).isEqualTo("hello world\n");

            Path copy = Ext4Stack.sparseCopy(s.image, s.home.resolve("after-fsync.img"));
            E2fsprogs.Result fsck = E2fsprogs.run("e2fsck", "-fy", copy.toString());
            assertThat(fsck.exit()).as(fsck.output()).isLessThanOrEqualTo(1);
            assertThat(E2fsprogs.debugfs(copy, "cat /hello").stdout()).asString(StandardCharsets.US_ASCII)
                    .isEqualTo("hello world\n");

            // latency of the ordinary write(): no round trip to jbd2 or writeback inside it
            int n = 200;
            long[] lat = new long[n];
            for (int i = 0; i < n; i++) {
                long b = System.nanoTime();
                Ext4Stack.call(Ext4Calls.WRITE_ITER, new Ext4Calls.WriteIter("sda1", 12, 12 + i * 100L, false, false, false,
                        new byte[100]), demo, CALL);
                lat[i] = System.nanoTime() - b;
            }
            long[] fs = new long[20];
            for (int i = 0; i < fs.length; i++) {
                Ext4Stack.call(Ext4Calls.WRITE_ITER, new Ext4Calls.WriteIter("sda1", 12, 0, true, false, false,
                        new byte[100]), demo, CALL);
                long b = System.nanoTime();
                Ext4Stack.call(Ext4Calls.FSYNC, new Ext4Calls.Fsync("sda1", 12, false), demo, CALL);
                fs[i] = System.nanoTime() - b;
            }
            Arrays.sort(lat);
            Arrays.sort(fs);
            System.out.printf("write_iter of 100 B over the bus (vfs -> ext4 -> reply): p50 %.2f ms, p90 %.2f ms;"
                            + " append+fsync: fsync p50 %.1f ms, p90 %.1f ms%n", lat[n / 2] / 1e6, lat[n * 9 / 10] / 1e6,
                    fs[fs.length / 2] / 1e6, fs[fs.length * 9 / 10] / 1e6);
            // 8 writers at once: how many handles the pump sends per RUN_BATCH, and how many batches a second
            double batchesBefore = gauge(s, "ext4_journal_batches_total");
            long c0 = System.nanoTime();
            List<Thread> ws = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int tt = t;
                long ino = Ext4Stack.call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "c" + t, 0644, false), demo, CALL).ino();
                ws.add(Thread.ofVirtual().start(() -> {
                    TraceContext wc = Ext4Stack.ctx("bench", 500 + tt);
                    for (int i = 0; i < 50; i++) {
                        Ext4Stack.call(Ext4Calls.WRITE_ITER, new Ext4Calls.WriteIter("sda1", ino, i * 4096L, false, false,
                                false, new byte[4096]), wc, CALL);
                    }
                }));
            }
            for (Thread t : ws) {
                t.join();
            }
            double secs = (System.nanoTime() - c0) / 1e9;
            Ext4Stack.call(Ext4Calls.SYNC_FS, new Ext4Calls.SyncFs("sda1", true), demo, CALL);
            double batches = gauge(s, "ext4_journal_batches_total") - batchesBefore;
            System.out.printf("8 writers x 50 writes of 4 KiB: %.0f writes/s, %.0f RUN_BATCH calls (%.1f per second)%n",
                    400 / secs, batches, batches / secs);
            System.out.printf("inside ext4-service: write_iter mean %.2f ms over %.0f, fsync mean %.1f ms over %.0f%n",
                    1e3 * gauge(s, "ext4_write_iter_seconds_sum") / gauge(s, "ext4_write_iter_seconds_count"),
                    gauge(s, "ext4_write_iter_seconds_count"),
                    1e3 * gauge(s, "ext4_fsync_seconds_sum") / gauge(s, "ext4_fsync_seconds_count"),
                    gauge(s, "ext4_fsync_seconds_count"));
            String metrics = Ext4Stack.get(s.ext4Port, "/actuator/prometheus");
            assertThat(metrics).contains("ext4_write_iter_seconds_bucket").contains("ext4_fsync_seconds_count")
                    .contains("ext4_free_blocks");

            // ./ext4sim down: a clean unmount leaves a filesystem that needs no recovery and no repair
            s.stopExt4();
            assertThat(Files.readString(s.log("ext4-service"))).contains("EXT4-fs (sda1): unmounted cleanly");
            Path clean = Ext4Stack.sparseCopy(s.image, s.home.resolve("after-umount.img"));
            E2fsprogs.Result check = E2fsprogs.run("e2fsck", "-fn", clean.toString());
            assertThat(check.exit()).as(check.output()).isZero();
            assertThat(E2fsprogs.debugfs(clean, "cat /hello").stdout()).hasSize(12 + 200 * 100 + 20 * 100);
            assertThat(E2fsprogs.debugfs(clean, "cat /c7").stdout()).hasSize(50 * 4096);
        }
    }

    @Test
    void killingJbd2DuringCommitsLosesNoFsyncedByteAndWritersCarryOn() throws Exception {
        try (Ext4Stack s = new Ext4Stack("crash", 128L << 20)) {
            s.start();
            int writers = 4;
            long[] inos = new long[writers];
            for (int i = 0; i < writers; i++) {
                inos[i] = Ext4Stack.call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "f" + i, 0644, false),
                        Ext4Stack.ctx("writer", 100 + i), CALL).ino();
            }
            // acked[i]: bytes of file i covered by a fsync that returned success
            long[] acked = new long[writers];
            AtomicInteger fsyncs = new AtomicInteger();
            AtomicInteger afterRestart = new AtomicInteger();
            AtomicBoolean restarted = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            List<Throwable> errors = new ArrayList<>();
            ConcurrentHashMap<Integer, Integer> failures = new ConcurrentHashMap<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int w = i;
                threads.add(Thread.ofVirtual().start(() -> {
                    TraceContext ctx = Ext4Stack.ctx("writer", 100 + w);
                    long size = 0;
                    int rec = 0;
                    while (!stop.get()) {
                        try {
                            byte[] data = record(w, rec);
                            Ext4Stack.call(Ext4Calls.WRITE_ITER, new Ext4Calls.WriteIter("sda1", inos[w], size, false,
                                    false, false, data), ctx, CALL);
                            size += data.length;
                            rec++;
                            Ext4Stack.call(Ext4Calls.FSYNC, new Ext4Calls.Fsync("sda1", inos[w], false), ctx, CALL);
                            synchronized (acked) {
                                acked[w] = size;
                            }
                            fsyncs.incrementAndGet();
                            if (restarted.get()) {
                                afterRestart.incrementAndGet();
                            }
                        } catch (ErrnoException e) {
                            failures.merge(w, 1, Integer::sum); // a failed fsync promises nothing: keep going
                        } catch (Throwable t) {
                            synchronized (errors) {
                                errors.add(t);
                            }
                            return;
                        }
                    }
                }));
            }
            await("40 fsyncs before the kill", () -> fsyncs.get() >= 40);
            // cache flushes take 3 s: the commit under way stalls before its commit block, with handles in it
            Ext4Stack.blockAdmin(new BlockIo.Admin("add_fault", BlockIo.Fault.latency("FLUSH", 3_000_000)));
            int before = fsyncs.get();
            double batches = gauge(s, "ext4_journal_batches_total");
            await("handles sent to jbd2 while its commit stalls", () -> gauge(s, "ext4_journal_batches_total") >= batches + 2);
            s.killJbd2();
            int atKill = fsyncs.get();
            Ext4Stack.blockAdmin(BlockIo.Admin.of("clear_faults"));
            long killedAt = System.nanoTime();
            s.restartJbd2();
            restarted.set(true);
            await("20 fsyncs after jbd2 came back", () -> afterRestart.get() >= 20);
            assertThat(java.nio.file.Files.readString(s.log("ext4-service")))
                    .as("ext4 logged the blocks of the lost transaction again under the new epoch")
                    .containsPattern("journal of sda1 loaded again \\(epoch \\d+ after \\d+, next tid \\d+\\): [1-9]\\d* blocks");
            System.out.printf("crash: %d fsyncs returned while flushes stalled before the kill; SIGKILL of jbd2 -> 20 more fsyncs: %.1f s; %d fsyncs in all, failures %s%n",
                    atKill - before, (System.nanoTime() - killedAt) / 1e9, fsyncs.get(), failures);
            stop.set(true);
            for (Thread t : threads) {
                t.join(Duration.ofSeconds(120));
            }
            assertThat(errors).isEmpty();
            long[] promised;
            synchronized (acked) {
                promised = acked.clone();
            }
            s.killBlockdev(); // power cut: only what was flushed is on the image
            Path copy = Ext4Stack.sparseCopy(s.image, s.home.resolve("after-crash.img"));
            E2fsprogs.Result fsck = E2fsprogs.run("e2fsck", "-fy", copy.toString());
            assertThat(fsck.exit()).as(fsck.output()).isLessThanOrEqualTo(1);
            for (int i = 0; i < writers; i++) {
                byte[] onDisk = E2fsprogs.debugfs(copy, "cat /f" + i).stdout();
                assertThat((long) onDisk.length).as("file f%d holds every fsynced byte", i).isGreaterThanOrEqualTo(promised[i]);
                byte[] expected = new byte[(int) promised[i]];
                int off = 0;
                for (int r = 0; off < expected.length; r++) {
                    byte[] rec = record(i, r);
                    System.arraycopy(rec, 0, expected, off, Math.min(rec.length, expected.length - off));
                    off += rec.length;
                }
                assertThat(Arrays.copyOf(onDisk, expected.length)).as("f%d's fsynced bytes", i).isEqualTo(expected);
            }
        }
    }

    @Test
    void aRestartedExt4MountsWhatTheDeadOneFsyncedAndServesAgain() throws Exception {
        try (Ext4Stack s = new Ext4Stack("ext4-restart", 128L << 20)) {
            s.start();
            TraceContext demo = Ext4Stack.ctx("demo", 77);
            long a = Ext4Stack.call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "kept", 0644, false), demo, CALL).ino();
            Ext4Stack.call(Ext4Calls.WRITE_ITER, new Ext4Calls.WriteIter("sda1", a, 0, false, false, false,
                    "fsynced\n".getBytes(StandardCharsets.US_ASCII)), demo, CALL);
            Ext4Stack.call(Ext4Calls.FSYNC, new Ext4Calls.Fsync("sda1", a, false), demo, CALL);
            // metadata of a directory made after the fsync goes to jbd2's running transaction, not committed, once
            // the pump's linger sent its handle (a handle still queued in ext4 dies with it, as a running transaction
            // does in a crash)
            double batches = gauge(s, "ext4_journal_batches_total");
            long d = Ext4Stack.call(Ext4Calls.MKDIR, new Ext4Calls.Create("sda1", 2, "dir", 0755, false), demo, CALL).ino();
            await("the mkdir's handle taken by jbd2", () -> gauge(s, "ext4_journal_batches_total") > batches
                    && gauge(s, "ext4_journal_queue_handles") == 0);

            s.killAndRestartExt4();

            Ext4Calls.Attr kept = Ext4Stack.call(Ext4Calls.LOOKUP, new Ext4Calls.Lookup("sda1", 2, "kept"), demo, CALL);
            assertThat(kept.ino()).isEqualTo(a);
            assertThat(Ext4Stack.call(Ext4Calls.READ_ITER, new Ext4Calls.ReadIter("sda1", a, 0, 100), demo, CALL))
                    .asString(StandardCharsets.US_ASCII).isEqualTo("fsynced\n");
            // the dead mount's whole handles were committed by jbd2's flush before the new mount read the disk
            assertThat(Ext4Stack.call(Ext4Calls.LOOKUP, new Ext4Calls.Lookup("sda1", 2, "dir"), demo, CALL).ino()).isEqualTo(d);
            long b = Ext4Stack.call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "after", 0644, false), demo, CALL).ino();
            Ext4Stack.call(Ext4Calls.WRITE_ITER, new Ext4Calls.WriteIter("sda1", b, 0, false, false, false,
                    "again\n".getBytes(StandardCharsets.US_ASCII)), demo, CALL);
            Ext4Stack.call(Ext4Calls.FSYNC, new Ext4Calls.Fsync("sda1", b, false), demo, CALL);

            s.killBlockdev();
            Path copy = Ext4Stack.sparseCopy(s.image, s.home.resolve("after-restart.img"));
            E2fsprogs.Result fsck = E2fsprogs.run("e2fsck", "-fy", copy.toString());
            assertThat(fsck.exit()).as(fsck.output()).isLessThanOrEqualTo(1);
            assertThat(E2fsprogs.debugfs(copy, "cat /kept").stdout()).asString(StandardCharsets.US_ASCII).isEqualTo("fsynced\n");
            assertThat(E2fsprogs.debugfs(copy, "cat /after").stdout()).asString(StandardCharsets.US_ASCII).isEqualTo("again\n");
        }
    }

    @Test
    void theFlusherWritesADirtyFileWithoutFsync() throws Exception {
        try (Ext4Stack s = new Ext4Stack("writeback", 128L << 20)) {
            s.start();
            s.startWriteback();
            TraceContext demo = Ext4Stack.ctx("demo", 88);
            long ino = Ext4Stack.call(Ext4Calls.CREATE, new Ext4Calls.Create("sda1", 2, "lazy", 0644, false), demo, CALL).ino();
            Ext4Stack.call(Ext4Calls.WRITE_ITER, new Ext4Calls.WriteIter("sda1", ino, 0, false, false, false,
                    "written back\n".getBytes(StandardCharsets.US_ASCII)), demo, CALL);
            // no fsync: writeback's periodic pass calls ext4_writepages once the inode expired (1 s)
            await("ext4's dirty pages written back", () -> Ext4Stack.get(s.ext4Port, "/actuator/prometheus")
                    .lines().anyMatch(l -> l.startsWith("ext4_dirty_pages{") && l.endsWith(" 0.0")));
            Ext4Calls.DirtyInodes dirty = Ext4Stack.call(Ext4Calls.DIRTY_INODES, new Ext4Calls.DirtyInodesQuery("sda1"), demo, CALL);
            assertThat(dirty.inodes()).extracting(Ext4Calls.DirtyInode::ino).doesNotContain(ino);
            // sync_fs: commit and flush; then a power cut loses nothing of it
            Ext4Stack.call(Ext4Calls.SYNC_FS, new Ext4Calls.SyncFs("sda1", true), demo, CALL);
            s.killBlockdev();
            Path copy = Ext4Stack.sparseCopy(s.image, s.home.resolve("after-writeback.img"));
            E2fsprogs.Result fsck = E2fsprogs.run("e2fsck", "-fy", copy.toString());
            assertThat(fsck.exit()).as(fsck.output()).isLessThanOrEqualTo(1);
            assertThat(E2fsprogs.debugfs(copy, "cat /lazy").stdout()).asString(StandardCharsets.US_ASCII)
                    .isEqualTo("written back\n");
            assertThat(Files.readString(s.log("writeback-service"))).doesNotContain("ERROR");
        }
    }

    static double gauge(Ext4Stack s, String name) {
        return Ext4Stack.get(s.ext4Port, "/actuator/prometheus").lines().filter(l -> l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst()
                .orElseThrow(() -> new AssertionError("ext4-service exports no metric " + name));
    }

    static byte[] record(int writer, int rec) {
        return String.format("writer %d record %06d\n", writer, rec).getBytes(StandardCharsets.US_ASCII);
    }

    static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20); // polling pace of a condition with a deadline
        }
    }
}
