package dev.ext4sim.blockdev.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.blockdev.Blockdev;
import dev.ext4sim.blockdev.Trace;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The block layer and the device model on a manual clock: exact tracepoint text and exact latencies. */
class BlkMqTest {
    // ufs3.1: 31 commands at 70,000 IOPS → 442,857 ns per 4 KiB write; a 4 KiB transfer at 1200 MB/s is 3,413 ns
    static final long WRITE_4K = 442_857;
    static final long XFER_4K = 3_413;
    static final long OVERHEAD = WRITE_4K - XFER_4K;

    final ManualClock clock = new ManualClock();
    final RecordingTraceSink sink = new RecordingTraceSink();
    final MemoryBlockDevice image = new MemoryBlockDevice(4096, 16384);
    final Blockdev dev = new Blockdev(Blockdev.Config.of("ufs3.1", Duration.ofSeconds(5), Duration.ofMillis(100)),
            image, "memory", clock, clock, n -> clock.advance(Duration.ofNanos(n)), new Random(7), Runnable::run, Runnable::run,
            new Trace(new Tracer("blockdev-service", clock.traceClock(), sink, 2), true));
    final TraceContext ctx = new TraceContext("t1", new Task("test", 42));
    final BlkMq q;

    BlkMqTest() {
        dev.probe("boot");
        sink.clear();
        q = dev.queue();
    }

    static Bio write(long sector, int bytes, ReqFlag... flags) {
        Set<ReqFlag> f = flags.length == 0 ? Set.of() : EnumSet.copyOf(List.of(flags));
        return new Bio(ReqOp.WRITE, f, sector, bytes, pattern(bytes, (int) sector));
    }

    static Bio read(long sector, int bytes) {
        return new Bio(ReqOp.READ, Set.of(), sector, bytes, new byte[bytes]);
    }

    static byte[] pattern(int bytes, int seed) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return b;
    }

    List<String> lines() {
        return sink.events().stream().map(e -> e.event() + ": " + e.text()).toList();
    }

    <T> T await(CompletableFuture<T> f) {
        for (int i = 0; i < 10_000 && !f.isDone(); i++) {
            clock.advance(Duration.ofNanos(100_000));
        }
        assertThat(f).isDone();
        return f.join();
    }

    @Test
    void oneWriteToThePartitionIsRemappedQueuedIssuedAndCompletedAfterTheModelsLatency() {
        CompletableFuture<BlkMq.Completed> f = q.submitAsync("sda1", List.of(write(8, 4096)), ctx);
        assertThat(lines()).containsExactly(
                "block_bio_remap: 8,0 W 8 + 8 <- (8,1) 8",
                "block_bio_queue: 8,0 W 8 + 8 [test]",
                "block_getrq: 8,0 W 8 + 8 [test]",
                "block_rq_issue: 8,0 W 0 () 8 + 8 [test]",
                "ufshcd_command: send_req: 1d84000.ufshc: tag: 0, DB: 0x1, size: 4096, IS: 0, LBA: 1, opcode: 0x2a (WRITE_10), group_id: 0x0");
        clock.advance(Duration.ofNanos(WRITE_4K - 1));
        assertThat(f).isNotDone();
        clock.advance(Duration.ofNanos(1));
        assertThat(f).isDone();
        assertThat(f.join().latencyNanos()).containsExactly(WRITE_4K);
        assertThat(lines().subList(5, 7)).containsExactly(
                "ufshcd_command: complete_rsp: 1d84000.ufshc: tag: 0, DB: 0x0, size: 4096, IS: 1, LBA: 1, opcode: 0x2a (WRITE_10), group_id: 0x0",
                "block_rq_complete: 8,0 W () 8 + 8 [0]");
        assertThat(sink.events().getLast().comm()).isEqualTo("swapper/0");
        assertThat(sink.events().getLast().pid()).isZero();
        assertThat(sink.events().getFirst().fields()).containsEntry("dev", 8L << 20).containsEntry("old_dev", (8L << 20) | 1);
        assertThat(q.stats().writesCompleted.sum()).isEqualTo(1);
        assertThat(q.stats().sectorsWritten.sum()).isEqualTo(8);
    }

    @Test
    void adjacentBiosMergeUnderThePlugAndTheLinkCarriesOneTransferAtATime() {
        CompletableFuture<BlkMq.Completed> f = q.submitAsync("sda",
                List.of(write(0, 4096), write(8, 4096), write(16, 4096), write(64, 4096)), ctx);
        assertThat(lines()).containsExactly(
                "block_bio_queue: 8,0 W 0 + 8 [test]",
                "block_getrq: 8,0 W 0 + 8 [test]",
                "block_plug: [test]",
                "block_bio_queue: 8,0 W 8 + 8 [test]",
                "block_bio_backmerge: 8,0 W 8 + 8 [test]",
                "block_bio_queue: 8,0 W 16 + 8 [test]",
                "block_bio_backmerge: 8,0 W 16 + 8 [test]",
                "block_bio_queue: 8,0 W 64 + 8 [test]",
                "block_getrq: 8,0 W 64 + 8 [test]",
                "block_unplug: [test] 2",
                "block_rq_insert: 8,0 W 0 () 0 + 24 [test]",
                "block_rq_insert: 8,0 W 0 () 64 + 8 [test]",
                "block_rq_issue: 8,0 W 0 () 0 + 24 [test]",
                "ufshcd_command: send_req: 1d84000.ufshc: tag: 0, DB: 0x1, size: 12288, IS: 0, LBA: 0, opcode: 0x2a (WRITE_10), group_id: 0x0",
                "block_rq_issue: 8,0 W 0 () 64 + 8 [test]",
                "ufshcd_command: send_req: 1d84000.ufshc: tag: 1, DB: 0x3, size: 4096, IS: 0, LBA: 8, opcode: 0x2a (WRITE_10), group_id: 0x0");
        long[] latency = await(f).latencyNanos();
        long merged = OVERHEAD + 10_240; // 12 KiB at 1200 MB/s
        assertThat(latency).containsExactly(merged, merged, merged, merged + XFER_4K);
        assertThat(q.stats().writesMerged.sum()).isEqualTo(2);
        assertThat(q.stats().writesCompleted.sum()).isEqualTo(2);
    }

    @Test
    void aCommitRecordIsAFlushRequestThenAFuaWriteAndOnlyFlushedOrFuaDataSurvivesAPowerCut() {
        await(q.submitAsync("sda", List.of(write(0, 4096)), ctx));
        sink.clear();
        await(q.submitAsync("sda", List.of(write(8, 4096, ReqFlag.PREFLUSH, ReqFlag.FUA, ReqFlag.SYNC)), ctx));
        assertThat(lines()).containsExactly(
                "block_bio_queue: 8,0 FWFS 8 + 8 [test]",
                "block_getrq: 8,0 FWFS 8 + 8 [test]",
                "block_rq_issue: 8,0 FF 0 () 0 + 0 [test]",
                "ufshcd_command: send_req: 1d84000.ufshc: tag: 0, DB: 0x1, size: -1, IS: 0, LBA: 0, opcode: 0x35 (SYNC), group_id: 0x0",
                "ufshcd_command: complete_rsp: 1d84000.ufshc: tag: 0, DB: 0x0, size: -1, IS: 1, LBA: 0, opcode: 0x35 (SYNC), group_id: 0x0",
                "block_rq_complete: 8,0 FF () 0 + 0 [0]",
                "block_rq_issue: 8,0 WFS 0 () 8 + 8 [test]",
                "ufshcd_command: send_req: 1d84000.ufshc: tag: 0, DB: 0x1, size: 4096, IS: 0, LBA: 1, opcode: 0x2a (WRITE_10), group_id: 0x0",
                "ufshcd_command: complete_rsp: 1d84000.ufshc: tag: 0, DB: 0x0, size: 4096, IS: 1, LBA: 1, opcode: 0x2a (WRITE_10), group_id: 0x0",
                "block_rq_complete: 8,0 WFS () 8 + 8 [0]");
        await(q.submitAsync("sda", List.of(write(16, 4096)), ctx));
        assertThat(image.read(0)).as("flushed").isEqualTo(pattern(4096, 0));
        assertThat(image.read(1)).as("FUA").isEqualTo(pattern(4096, 8));
        assertThat(image.read(2)).as("only in the volatile cache").isEqualTo(new byte[4096]);

        Bio r = read(16, 4096);
        await(q.submitAsync("sda", List.of(r), ctx));
        assertThat(r.data()).as("reads see the cache").isEqualTo(pattern(4096, 16));

        assertThat(dev.powerCut()).isEqualTo(1);
        assertThat(image.read(2)).isEqualTo(new byte[4096]);
        CompletableFuture<BlkMq.Completed> after = q.submitAsync("sda", List.of(write(24, 4096)), ctx);
        assertThatThrownBy(() -> await(after)).hasCauseInstanceOf(ErrnoException.class).hasMessageContaining("lost power");
    }

    @Test
    void theJournalThreadsCommitTracesThe4xSequenceInItsOwnTaskAndTheInterrupt() {
        TraceContext jbd2 = new TraceContext("t2", new Task("jbd2/sda1-8", 578));
        await(q.submitAsync("sda1", List.of(
                write(8208, 4096, ReqFlag.SYNC, ReqFlag.META),
                write(8216, 4096, ReqFlag.SYNC, ReqFlag.META),
                write(8224, 4096, ReqFlag.SYNC, ReqFlag.META),
                write(8232, 4096, ReqFlag.PREFLUSH, ReqFlag.FUA, ReqFlag.SYNC, ReqFlag.META)), jbd2));
        assertThat(sink.events().stream().map(e -> e.comm() + "-" + e.pid() + " " + e.event() + ": " + e.text()))
                .filteredOn(l -> l.contains(" block_")).containsExactly(
                "jbd2/sda1-8-578 block_bio_remap: 8,0 WSM 8208 + 8 <- (8,1) 8208",
                "jbd2/sda1-8-578 block_bio_queue: 8,0 WSM 8208 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8-578 block_getrq: 8,0 WSM 8208 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8-578 block_plug: [jbd2/sda1-8]",
                "jbd2/sda1-8-578 block_bio_remap: 8,0 WSM 8216 + 8 <- (8,1) 8216",
                "jbd2/sda1-8-578 block_bio_queue: 8,0 WSM 8216 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8-578 block_bio_backmerge: 8,0 WSM 8216 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8-578 block_bio_remap: 8,0 WSM 8224 + 8 <- (8,1) 8224",
                "jbd2/sda1-8-578 block_bio_queue: 8,0 WSM 8224 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8-578 block_bio_backmerge: 8,0 WSM 8224 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8-578 block_unplug: [jbd2/sda1-8] 1",
                "jbd2/sda1-8-578 block_rq_insert: 8,0 WSM 0 () 8208 + 24 [jbd2/sda1-8]",
                "jbd2/sda1-8-578 block_rq_issue: 8,0 WSM 0 () 8208 + 24 [jbd2/sda1-8]",
                "swapper/0-0 block_rq_complete: 8,0 WSM () 8208 + 24 [0]",
                "jbd2/sda1-8-578 block_bio_remap: 8,0 FWFSM 8232 + 8 <- (8,1) 8232",
                "jbd2/sda1-8-578 block_bio_queue: 8,0 FWFSM 8232 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8-578 block_getrq: 8,0 FWFSM 8232 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8-578 block_rq_issue: 8,0 FF 0 () 0 + 0 [jbd2/sda1-8]",
                "swapper/0-0 block_rq_complete: 8,0 FF () 0 + 0 [0]",
                "jbd2/sda1-8-578 block_rq_issue: 8,0 WFSM 0 () 8232 + 8 [jbd2/sda1-8]",
                "swapper/0-0 block_rq_complete: 8,0 WFSM () 8232 + 8 [0]");
        assertThat(sink.events("block_rq_issue").getFirst().fields()).containsOnlyKeys(
                "dev", "sector", "nr_sector", "bytes", "rwbs", "comm", "cmd");
    }

    @Test
    void under4xTheFrontOfTheLastRequestIsNoMergeAndALoneBioIsNotPlugged() {
        await(q.submitAsync("sda", List.of(write(272, 4096), write(264, 4096)), ctx));
        assertThat(lines()).filteredOn(l -> l.startsWith("block_")).startsWith(
                "block_bio_queue: 8,0 W 272 + 8 [test]",
                "block_getrq: 8,0 W 272 + 8 [test]",
                "block_plug: [test]",
                "block_bio_queue: 8,0 W 264 + 8 [test]",
                "block_getrq: 8,0 W 264 + 8 [test]",
                "block_unplug: [test] 2");
        assertThat(lines()).noneMatch(l -> l.startsWith("block_io_") || l.contains("be,0,"));
    }

    @Test
    void aBareFlushOfAPartitionIsNotRemapped() {
        sink.clear();
        await(q.submitAsync("sda1", List.of(new Bio(ReqOp.WRITE, EnumSet.of(ReqFlag.PREFLUSH, ReqFlag.SYNC), 0, 0, null)), ctx));
        assertThat(lines().getFirst()).isEqualTo("block_bio_queue: 8,0 FWS 0 + 0 [test]");
    }

    @Test
    void aBareFlushIsOneFlushRequestAndItsCostGrowsWithTheDirtyCache() {
        await(q.submitAsync("sda", List.of(write(0, 1 << 20)), ctx));
        clock.advance(Duration.ofMillis(1)); // an idle host: no turnaround credit
        sink.clear();
        long[] latency = await(q.submitAsync("sda", List.of(new Bio(ReqOp.WRITE, EnumSet.of(ReqFlag.PREFLUSH, ReqFlag.SYNC), 0, 0, null)), ctx)).latencyNanos();
        assertThat(lines()).extracting(l -> l.substring(0, l.indexOf(':'))).containsExactly("block_bio_queue",
                "block_getrq", "block_rq_issue", "ufshcd_command", "ufshcd_command", "block_rq_complete", "block_rq_complete");
        assertThat(lines().getFirst()).isEqualTo("block_bio_queue: 8,0 FWS 0 + 0 [test]");
        assertThat(lines().getLast()).isEqualTo("block_rq_complete: 8,0 WS () 0 + 0 [0]");
        long flush = 2 * OVERHEAD + (long) ((1 << 20) * 1000.0 / 1200);
        assertThat(latency).containsExactly(flush);
        assertThat(image.read(255)).isEqualTo(java.util.Arrays.copyOfRange(pattern(1 << 20, 0), 255 * 4096, 256 * 4096));
        assertThat(q.stats().flushesCompleted.sum()).isEqualTo(1);
    }

    @Test
    void aSubmitterThatReissuesAtOnceIsCreditedItsTurnaroundOneThatThinksIsNot() {
        CompletableFuture<BlkMq.Completed> first = q.submitAsync("sda", List.of(write(0, 4096)), ctx);
        clock.advance(Duration.ofNanos(WRITE_4K));
        assertThat(first).isDone();
        clock.advance(Duration.ofNanos(50_000)); // the host's turnaround: a pipelining submitter
        CompletableFuture<BlkMq.Completed> second = q.submitAsync("sda", List.of(write(8, 4096)), ctx);
        clock.advance(Duration.ofNanos(WRITE_4K - 50_000));
        assertThat(second).isDone();
        assertThat(second.join().latencyNanos()).containsExactly(WRITE_4K - 50_000);
        clock.advance(Duration.ofMillis(1)); // a host that thinks pays for it
        CompletableFuture<BlkMq.Completed> third = q.submitAsync("sda", List.of(write(16, 4096)), ctx);
        clock.advance(Duration.ofNanos(WRITE_4K - 1));
        assertThat(third).isNotDone();
        clock.advance(Duration.ofNanos(1));
        assertThat(third.join().latencyNanos()).containsExactly(WRITE_4K);
    }

    @Test
    void atMost31CommandsAreInFlightAndThe32ndWaitsForATag() throws Exception {
        List<CompletableFuture<BlkMq.Completed>> first = new ArrayList<>();
        for (int i = 0; i < 31; i++) {
            first.add(q.submitAsync("sda", List.of(write(8L * i, 4096)), ctx));
        }
        assertThat(q.inFlight()).isEqualTo(31);
        CompletableFuture<BlkMq.Completed> last = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> q.submitAsync("sda", List.of(write(8 * 31, 4096)), ctx)
                .whenComplete((c, e) -> last.complete(c)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (q.waitingForTag() == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(q.waitingForTag()).isEqualTo(1);
        // the 31 transfers queue on the link after the shared overhead
        clock.advance(Duration.ofNanos(OVERHEAD + XFER_4K));
        assertThat(first.getFirst()).isDone();
        assertThat(first.get(1)).isNotDone();
        assertThat(last).isNotDone();
        // the freed tag goes to the waiting submitter, on its own thread: wait until it issued
        long issued = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((q.waitingForTag() != 0 || q.inFlight() != 31) && System.nanoTime() < issued) {
            Thread.onSpinWait();
        }
        assertThat(q.inFlight()).isEqualTo(31);
        for (int i = 0; i < 100 && !last.isDone(); i++) {
            clock.advance(Duration.ofNanos(100_000));
        }
        // its completion is handed over on another thread: wait for it, the clock is past its due time
        assertThat(last.get(10, TimeUnit.SECONDS)).isNotNull();
        assertThat(first.get(30).join().latencyNanos()).containsExactly(OVERHEAD + 31 * XFER_4K);
    }

    @Test
    void badBiosAreRefusedBeforeAnythingIsSubmitted() {
        assertThatThrownBy(() -> q.submitAsync("sda", List.of(write(1, 4096)), ctx))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("EINVAL").hasMessageContaining("multiple of 8");
        assertThatThrownBy(() -> q.submitAsync("sda", List.of(write(0, 4096), new Bio(ReqOp.WRITE, Set.of(), 8, 1000, new byte[1000])), ctx))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("EINVAL").hasMessageContaining("bio 1");
        assertThatThrownBy(() -> q.submitAsync("sda1", List.of(write(16384L * 8, 4096)), ctx))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("EIO").hasMessageContaining("beyond end of device sda1");
        assertThatThrownBy(() -> q.submitAsync("sdb", List.of(write(0, 4096)), ctx))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("EINVAL").hasMessageContaining("sda1 (8,1)");
        assertThatThrownBy(() -> q.submitAsync("sda", List.of(write(0, 2 << 20)), ctx))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("split it");
        assertThat(sink.events()).isEmpty();
        assertThat(q.inFlight()).isZero();
        assertThat(dev.device().cache().dirtyBlocks()).isZero();
        await(q.submitAsync("sda", List.of(write(0, 4096)), ctx));
        assertThat(q.stats().writesCompleted.sum()).isEqualTo(1);
    }

    @Test
    void theDestageWritesOldCachedBlocksToTheImageOnItsOwn() {
        await(q.submitAsync("sda", List.of(write(40, 4096)), ctx));
        assertThat(image.read(5)).isEqualTo(new byte[4096]);
        clock.advance(Duration.ofMillis(4_800));
        assertThat(dev.device().cache().isDirty(5)).isTrue();
        clock.advance(Duration.ofMillis(400));
        assertThat(dev.device().cache().isDirty(5)).isFalse();
        assertThat(image.read(5)).isEqualTo(pattern(4096, 40));
    }
}
