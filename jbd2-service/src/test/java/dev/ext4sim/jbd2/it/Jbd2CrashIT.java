package dev.ext4sim.jbd2.it;

import static dev.ext4sim.jbd2.it.Handles.fill;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ImageFile;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.Ext4Journal;
import dev.ext4sim.ondisk.jbd2.RecoveryResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * jbd2-service killed with SIGKILL, against a real broker and a real blockdev-service: a journal it wrote (real
 * ext4 metadata) replays under e2fsck -fy exactly as under our recovery, and a kill in the middle of T_COMMIT loses
 * no transaction whose commit was acknowledged, discards the torn one, and the restarted service recovers by
 * itself under a new epoch while the old epoch is refused.
 */
class Jbd2CrashIT {
    static final String NOW = Long.toString(java.time.Instant.now().getEpochSecond() + 60);
    /** e2fsck stamps its superblock writes from these, so its runs on two copies write the same bytes. */
    static final Map<String, String> FAKE_TIME = Map.of("E2FSCK_TIME", NOW, "E2FSPROGS_FAKE_TIME", NOW);
    static final int EXT4_SB = 1024;
    static final int S_KBYTES_WRITTEN = 0x178;
    static final int S_CHECKSUM = 0x3FC;
    static final TraceContext WRITER = new TraceContext("it-crash", new Task("writer", 700));

    @Test
    void aJournalWrittenByTheServiceReplaysUnderE2fsckExactlyAsUnderOurRecovery() throws Exception {
        try (Stack s = Stack.start("e2fsck", 128L << 20, "instant", "--ext4sim.jbd2.commit-interval=60s",
                "--ext4sim.jbd2.checkpoint-age=10m", "--ext4sim.jbd2.recover-at-start=false")) {
            Path scratchImage = Stack.sparseCopy(s.image, s.home.resolve("scratch.img"));
            long epoch = Stack.load().epoch();
            Map<String, byte[]> files = new LinkedHashMap<>();
            try (ImageFile scratch = ImageFile.open(scratchImage, 4096)) {
                CapturingDevice dev = new CapturingDevice(scratch);
                Ext4Filesystem fs = Ext4Filesystem.open(dev);
                fs.setNeedsRecovery(true); // as on the real image, which the load marked
                fs.setClock(1_763_700_000L);
                fs.setMetadataListener(dev::markMetadata);
                dev.takeMetadata(new TreeMap<>());
                Random rnd = new Random(5);

                fs.mkdir("/a", 0755);
                write(fs, "/a/one", random(rnd, 5000), files);
                write(fs, "/hello", "hello world\n".getBytes(StandardCharsets.US_ASCII), files);
                int tid1 = commit(dev, fs, epoch);

                fs.mkdir("/a/b", 0755);
                write(fs, "/a/b/two", random(rnd, 300_000), files);
                write(fs, "/three", random(rnd, 70_000), files);
                int tid2 = commit(dev, fs, epoch);
                assertThat(tid2).isEqualTo(tid1 + 1);
            }
            s.killJbd2(); // before any checkpoint: the metadata lives only in the log
            Stack.flushDisk();
            Path crash = Stack.sparseCopy(s.image, s.home.resolve("crash.img"));
            assertThat(E2fsprogs.debugfs(crash, "stat /hello").output()).as("nothing was checkpointed home").contains("not found");

            Path a = Stack.sparseCopy(crash, s.home.resolve("by-e2fsck.img"));
            Path b = Stack.sparseCopy(crash, s.home.resolve("by-recovery.img"));
            E2fsprogs.Result fsck = E2fsprogs.run(FAKE_TIME, "e2fsck", "-fy", a.toString());
            assertThat(fsck.exit()).as(fsck.output()).isLessThanOrEqualTo(1);
            assertThat(fsck.output()).contains("recovering journal");
            RecoveryResult ours;
            try (ImageFile dev = ImageFile.open(b, 4096)) {
                Optional<RecoveryResult> r = Ext4Journal.recover(dev);
                assertThat(r).as("needs_recovery was set").isPresent();
                ours = r.orElseThrow();
            }
            assertThat(ours.transactionsReplayed()).isEqualTo(2);
            assertThat(ours.clean()).isTrue();
            assertThat(differingBlocks(a, b, new long[][]{{EXT4_SB, 1024}}))
                    .as("outside the ext4 superblock (which e2fsck's full check stamps), our replay equals e2fsck's").isEmpty();
            E2fsprogs.Result check = E2fsprogs.run(FAKE_TIME, "e2fsck", "-fn", b.toString());
            assertThat(check.exit()).as(check.output()).isZero();
            E2fsprogs.Result level = E2fsprogs.run(FAKE_TIME, "e2fsck", "-fy", b.toString());
            assertThat(level.output()).doesNotContain("recovering journal");
            assertThat(differingBlocks(a, b, new long[][]{{EXT4_SB + S_KBYTES_WRITTEN, 8}, {EXT4_SB + S_CHECKSUM, 4}}))
                    .as("whole images equal except s_kbytes_written and s_checksum").isEmpty();
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                assertThat(E2fsprogs.debugfs(b, "cat " + f.getKey()).stdout()).as(f.getKey()).isEqualTo(f.getValue());
            }
        }
    }

    private static byte[] random(Random rnd, int size) {
        byte[] b = new byte[size];
        rnd.nextBytes(b);
        return b;
    }

    private static void write(Ext4Filesystem fs, String path, byte[] data, Map<String, byte[]> files) {
        int ino = fs.create(path, 0644);
        fs.pwrite(ino, 0, data);
        files.put(path, data);
    }

    /**
     * ext4's side of one transaction: the file data straight to blockdev and flushed (data=ordered), the metadata
     * as one handle, then fsync's complete_transaction.
     */
    private static int commit(CapturingDevice dev, Ext4Filesystem fs, long epoch) {
        fs.flush();
        Map<Long, byte[]> data = new TreeMap<>();
        Map<Long, byte[]> metadata = dev.takeMetadata(data);
        if (!data.isEmpty()) {
            List<BlockIo.Bio> bios = new ArrayList<>();
            ByteBuffer payload = ByteBuffer.allocate(data.size() * 4096);
            data.forEach((block, contents) -> {
                bios.add(BlockIo.Bio.write(block * 8, 4096));
                payload.put(contents);
            });
            bios.add(BlockIo.Bio.flush());
            Stack.blockdev(BlockIo.SUBMIT, new BlockIo.Submit("sda1", bios, payload.array()));
        }
        assertThat(metadata).isNotEmpty();
        return Handles.runAndComplete(epoch, metadata, WRITER);
    }

    /** Blocks where the images differ, with the byte ranges {offset, length} of {@code masks} ignored. */
    static List<String> differingBlocks(Path a, Path b, long[][] masks) throws IOException {
        List<String> out = new ArrayList<>();
        try (FileChannel x = FileChannel.open(a); FileChannel y = FileChannel.open(b)) {
            assertThat(x.size()).isEqualTo(y.size());
            ByteBuffer bx = ByteBuffer.allocate(4096);
            ByteBuffer by = ByteBuffer.allocate(4096);
            for (long block = 0; block * 4096 < x.size(); block++) {
                bx.clear();
                by.clear();
                x.read(bx, block * 4096);
                y.read(by, block * 4096);
                byte[] p = bx.array();
                byte[] q = by.array();
                for (long[] m : masks) {
                    for (long i = Math.max(m[0], block * 4096); i < Math.min(m[0] + m[1], (block + 1) * 4096); i++) {
                        p[(int) (i - block * 4096)] = 0;
                        q[(int) (i - block * 4096)] = 0;
                    }
                }
                int at = Arrays.mismatch(p, q);
                if (at >= 0 && out.size() < 20) {
                    out.add("block " + block + " from byte 0x" + Integer.toHexString(at));
                }
            }
        }
        return out;
    }

    @Test
    void aSigkillDuringTheCommitLosesNoAcknowledgedTransactionAndTheRestartedServiceRecoversByItself() throws Exception {
        // 1 GiB: a journal of 8192 blocks takes transactions of up to 2048 blocks, more than one blk_submit carries
        // (1024), so a commit's log goes out in two calls and the commit block only in the second.
        try (Stack s = Stack.start("sigkill", 1L << 30, "ufs3.1", "--ext4sim.jbd2.commit-interval=60s",
                "--ext4sim.jbd2.checkpoint-age=10m")) {
            long[] journal;
            try (Ext4Filesystem fs = Ext4Filesystem.open(s.image)) {
                var e = fs.journalExtents();
                assertThat(e).hasSize(1);
                journal = new long[]{e.getFirst().pblk(), e.getFirst().pblk() + e.getFirst().len()};
            }
            long base = 200_000;
            assertThat(base + 4000 <= journal[0] || base >= journal[1]).as("test blocks clear of the journal").isTrue();
            Jbd2Calls.Loaded first = Stack.load();
            long epoch = first.epoch();

            // three acknowledged transactions, each overwriting some of the previous one's blocks
            Map<Long, byte[]> expected = new TreeMap<>();
            List<Integer> acknowledged = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Map<Long, byte[]> blocks = new TreeMap<>();
                for (int i = t; i < t + 4; i++) {
                    blocks.put(base + i, fill(0x10 * (t + 1) + i));
                }
                acknowledged.add(Handles.runAndComplete(epoch, blocks, WRITER));
                expected.putAll(blocks);
            }
            // the torn one: 1100 blocks, overwriting the acknowledged ones too
            Map<Long, byte[]> torn = new TreeMap<>();
            for (int i = 0; i < 1100; i++) {
                torn.put(base + i, fill(0xEE));
            }
            BlockIo.Fault slow = new BlockIo.Fault("latency", "WRITE", journal[0] * 8, journal[1] * 8, 8_000_000L);
            Stack.blockdev(BlockIo.ADMIN, new BlockIo.Admin("add_fault", slow));
            int mark = Stack.traceMark();
            int tornTid = Stack.jbd2(Jbd2Calls.RUN, Handles.run(epoch, torn), WRITER).tid();
            assertThat(tornTid).isEqualTo(acknowledged.getLast() + 1);
            CompletableFuture<Jbd2Calls.Waited> fsync = CompletableFuture.supplyAsync(() -> Stack.jbd2(Jbd2Calls.WAIT,
                    new Jbd2Calls.Wait(epoch, Jbd2Calls.COMPLETE_TRANSACTION, tornTid), WRITER, Duration.ofSeconds(4)));
            // the first 1024 log blocks take 8 s at the device: time enough to see the tracepoint and kill, even on a
            // machine as busy as the shared 2-core one
            Stack.awaitTrace(mark, Duration.ofSeconds(30), e -> e.event().equals("jbd2_commit_logging")
                    && Handles.number(e.fields().get("transaction")) == tornTid, "jbd2_commit_logging of " + tornTid);
            long killed = System.nanoTime();
            s.killJbd2(); // T_COMMIT: the first half of the log is on its way to the disk, the commit block is not
            assertThatThrownBy(fsync::join).as("the torn transaction's fsync never succeeded").hasCauseInstanceOf(ErrnoException.class);
            Stack.blockdev(BlockIo.ADMIN, BlockIo.Admin.of("clear_faults"));
            Stack.await("blockdev to finish the dead commit's writes", Duration.ofSeconds(30),
                    () -> Stack.blockdev(BlockIo.ADMIN, BlockIo.Admin.of("status")).status().inFlight() == 0);
            for (Map.Entry<Long, byte[]> e : expected.entrySet()) {
                assertThat(Stack.readBlock(e.getKey())).as("not checkpointed before the kill").isNotEqualTo(e.getValue());
            }

            int loadedBefore = Stack.LOADED.size();
            long restarted = System.nanoTime();
            s.restartJbd2();
            // no LOAD from us: the service found needs_recovery set and recovered on its own
            Stack.await("jbd2_journal_loaded from the restarted service", Duration.ofSeconds(30), () -> Stack.LOADED.size() > loadedBefore);
            long loadedAt = System.nanoTime();
            Jbd2Calls.Loaded second = Stack.LOADED.get(loadedBefore);
            System.out.printf("jbd2 recovery after SIGKILL: kill to journal loaded %d ms (process start to loaded %d ms);"
                            + " %d transactions, %d blocks replayed%n", TimeUnit.NANOSECONDS.toMillis(loadedAt - killed),
                    TimeUnit.NANOSECONDS.toMillis(loadedAt - restarted), second.replayed(), second.blocksReplayed());
            assertThat(second.epoch()).isGreaterThan(epoch);
            assertThat(second.replayed()).as("the three acknowledged transactions, not the torn one").isEqualTo(3);
            assertThat(second.blocksReplayed()).isEqualTo(12);
            assertThat(second.nextTid() - tornTid).as("new tids start after every tid of the old log").isPositive();
            assertThat(Stack.load()).as("LOAD answers the epoch of the load already made").isEqualTo(second);

            for (Map.Entry<Long, byte[]> e : expected.entrySet()) {
                assertThat(Stack.readBlock(e.getKey())).as("block " + e.getKey() + " home after replay").isEqualTo(e.getValue());
            }
            assertThat(Stack.readBlock(base + 1099)).as("the torn transaction's blocks never reach home").isEqualTo(new byte[4096]);
            Stack.flushDisk();
            try (ImageFile img = ImageFile.open(s.image, 4096)) {
                for (Map.Entry<Long, byte[]> e : expected.entrySet()) {
                    assertThat(img.read(e.getKey())).as("on the image file").isEqualTo(e.getValue());
                }
                assertThat(img.read(base + 500)).isEqualTo(new byte[4096]);
            }

            assertThatThrownBy(() -> Stack.jbd2(Jbd2Calls.START, new Jbd2Calls.Start(epoch, 1, 1, 1), WRITER))
                    .isInstanceOfSatisfying(ErrnoException.class, e -> {
                        assertThat(e.errno()).isEqualTo(Errno.ESTALE);
                        assertThat(e.detail()).contains("load the journal again");
                    });
            // and the new epoch works
            int next = Handles.runAndComplete(second.epoch(), Map.of(base + 2000, fill(0x77)), WRITER);
            assertThat(next).isGreaterThanOrEqualTo(second.nextTid());
        }
    }
}
