package dev.ext4sim.blockdev.block;

import static dev.ext4sim.blockdev.block.BlkMqTest.pattern;
import static dev.ext4sim.blockdev.block.BlkMqTest.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.blockdev.Blockdev;
import dev.ext4sim.blockdev.Trace;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The 6.x profile: the block events, tasks and orders of the 6.18 capture (reference real-trace.txt). */
class BlkMq6xTest {
    final ManualClock clock = new ManualClock();
    final RecordingTraceSink sink = new RecordingTraceSink();
    final MemoryBlockDevice image = new MemoryBlockDevice(4096, 16384);
    final Tracer tracer = new Tracer("blockdev-service", clock.traceClock(), sink, 2, KernelProfile.V6X);
    final Blockdev dev = new Blockdev(Blockdev.Config.of("ufs3.1", Duration.ofSeconds(5), Duration.ofMillis(100)),
            image, "memory", clock, clock, n -> clock.advance(Duration.ofNanos(n)), new Random(7), Runnable::run,
            Runnable::run, new Trace(tracer, true));
    final BlkMq q;

    BlkMq6xTest() {
        dev.probe("boot");
        sink.clear();
        q = dev.queue();
    }

    /** "comm event: text", as the task column and the event read in the trace. */
    List<String> lines() {
        return sink.events().stream().map(e -> e.comm() + " " + e.event() + ": " + e.text()).toList();
    }

    <T> T await(CompletableFuture<T> f) {
        for (int i = 0; i < 10_000 && !f.isDone(); i++) {
            clock.advance(Duration.ofNanos(100_000));
        }
        assertThat(f).isDone();
        return f.join();
    }

    /** A thread named for its cpu (kworker/N:1H, ksoftirqd/N) prints in that CPU column. */
    void assertPerCpuThreadsRunOnTheirCpu() {
        Pattern named = Pattern.compile("^(?:kworker/(\\d+):1H|ksoftirqd/(\\d+))$");
        for (TraceEvent e : sink.events()) {
            Matcher m = named.matcher(e.comm());
            if (m.matches()) {
                int cpu = Integer.parseInt(m.group(1) != null ? m.group(1) : m.group(2));
                assertThat(e.cpu()).as(e.comm() + "-" + e.pid() + " " + e.event()).isEqualTo(cpu);
            }
        }
    }

    @Test
    void aSyncWriteIsPluggedIssuedDirectlyByTheWriterAndCompletedInKsoftirqd() {
        TraceContext demo = new TraceContext("t1", new Task("demo", 1395));
        int cpu = tracer.cpuOf(demo.task());
        CompletableFuture<BlkMq.Completed> f = q.submitAsync("sda1", List.of(write(33112, 4096, ReqFlag.SYNC)), demo);
        assertThat(lines()).containsExactly(
                "demo block_bio_remap: 8,0 WS 33112 + 8 <- (8,1) 33112",
                "demo block_bio_queue: 8,0 WS 33112 + 8 [demo]",
                "demo block_getrq: 8,0 WS 33112 + 8 [demo]",
                "demo block_io_start: 8,0 WS 4096 () 33112 + 8 be,0,4 [demo]",
                "demo block_plug: [demo]",
                "demo block_unplug: [demo] 1",
                "demo block_rq_issue: 8,0 WS 4096 () 33112 + 8 be,0,4 [demo]",
                "demo ufshcd_command: send_req: 1d84000.ufshc: tag: 0, DB: 0x1, size: 4096, IS: 0, LBA: 4139, opcode: 0x2a (WRITE_10), group_id: 0x0");
        await(f);
        assertThat(lines().subList(8, lines().size())).containsExactly(
                "swapper/0 ufshcd_command: complete_rsp: 1d84000.ufshc: tag: 0, DB: 0x0, size: 4096, IS: 1, LBA: 4139, opcode: 0x2a (WRITE_10), group_id: 0x0",
                "ksoftirqd/" + cpu + " block_rq_complete: 8,0 WS () 33112 + 8 be,0,4 [0]",
                "ksoftirqd/" + cpu + " block_io_done: 8,0 WS 0 () 33112 + 0 none,0,0 [ksoftirqd/" + cpu + "]");
        assertPerCpuThreadsRunOnTheirCpu();
        TraceEvent issue = sink.events("block_rq_issue").getFirst();
        assertThat(issue.fields()).containsEntry("bytes", 4096).containsEntry("ioprio", 2 << 13 | 4);
    }

    @Test
    void aCommitIsTheLogUnderOnePlugThenAFlushAndAFuaWriteThatKblockdDispatches() {
        TraceContext jbd2 = new TraceContext("t2", new Task("jbd2/sda1-8", 578));
        int cpu = tracer.cpuOf(jbd2.task());
        String kworker = "kworker/" + cpu + ":1H";
        String softirq = "ksoftirqd/" + cpu;
        await(q.submitAsync("sda1", List.of(
                write(8208, 4096, ReqFlag.SYNC, ReqFlag.META),
                write(8216, 4096, ReqFlag.SYNC, ReqFlag.META),
                write(8224, 4096, ReqFlag.SYNC, ReqFlag.META),
                write(8232, 4096, ReqFlag.PREFLUSH, ReqFlag.FUA, ReqFlag.SYNC, ReqFlag.META)), jbd2));
        assertThat(lines()).filteredOn(l -> l.contains(" block_")).containsExactly(
                "jbd2/sda1-8 block_bio_remap: 8,0 WSM 8208 + 8 <- (8,1) 8208",
                "jbd2/sda1-8 block_bio_queue: 8,0 WSM 8208 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8 block_getrq: 8,0 WSM 8208 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8 block_io_start: 8,0 WSM 4096 () 8208 + 8 be,0,3 [jbd2/sda1-8]",
                "jbd2/sda1-8 block_plug: [jbd2/sda1-8]",
                "jbd2/sda1-8 block_bio_remap: 8,0 WSM 8216 + 8 <- (8,1) 8216",
                "jbd2/sda1-8 block_bio_queue: 8,0 WSM 8216 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8 block_bio_backmerge: 8,0 WSM 8216 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8 block_bio_remap: 8,0 WSM 8224 + 8 <- (8,1) 8224",
                "jbd2/sda1-8 block_bio_queue: 8,0 WSM 8224 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8 block_bio_backmerge: 8,0 WSM 8224 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8 block_unplug: [jbd2/sda1-8] 1",
                "jbd2/sda1-8 block_rq_issue: 8,0 WSM 12288 () 8208 + 24 be,0,3 [jbd2/sda1-8]",
                softirq + " block_rq_complete: 8,0 WSM () 8208 + 24 be,0,3 [0]",
                softirq + " block_io_done: 8,0 WSM 0 () 8208 + 0 none,0,0 [" + softirq + "]",
                "jbd2/sda1-8 block_bio_remap: 8,0 FWFSM 8232 + 8 <- (8,1) 8232",
                "jbd2/sda1-8 block_bio_queue: 8,0 FWFSM 8232 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8 block_getrq: 8,0 FWFSM 8232 + 8 [jbd2/sda1-8]",
                "jbd2/sda1-8 block_io_start: 8,0 FWFSM 4096 () 8232 + 8 be,0,3 [jbd2/sda1-8]",
                kworker + " block_rq_issue: 8,0 FF 0 () 0 + 0 none,0,0 [" + kworker + "]",
                softirq + " block_rq_complete: 8,0 FF () 18446744073709551615 + 0 none,0,0 [0]",
                softirq + " block_io_done: 8,0 FF 0 () 0 + 0 none,0,0 [" + softirq + "]",
                kworker + " block_rq_insert: 8,0 WFSM 4096 () 8232 + 8 be,0,3 [" + kworker + "]",
                kworker + " block_rq_issue: 8,0 WFSM 4096 () 8232 + 8 be,0,3 [" + kworker + "]",
                softirq + " block_rq_complete: 8,0 WFSM () 8232 + 8 be,0,3 [0]",
                softirq + " block_io_done: 8,0 WFSM 0 () 8232 + 0 none,0,0 [" + softirq + "]",
                softirq + " block_rq_complete: 8,0 WFSM () 8232 + 0 be,0,3 [0]",
                softirq + " block_io_done: 8,0 WFSM 0 () 8232 + 0 none,0,0 [" + softirq + "]");
        assertThat(lines()).filteredOn(l -> l.contains("send_req")).extracting(l -> l.substring(0, l.indexOf(' ')))
                .containsExactly("jbd2/sda1-8", kworker, kworker);
        assertPerCpuThreadsRunOnTheirCpu();
        assertThat(sink.events("block_rq_complete").get(1).fields()).containsEntry("sector", -1L);
        assertThat(image.read(8232 / 8)).as("the commit block, FUA").isEqualTo(pattern(4096, 8232));
        assertThat(image.read(8208 / 8)).as("the log, flushed before it").isEqualTo(pattern(4096, 8208));
    }

    @Test
    void aBareFlushIsTheFlushRequestFromKblockdThenItsOwnEmptyCompletion() {
        TraceContext demo = new TraceContext("t3", new Task("demo", 1396));
        int cpu = tracer.cpuOf(demo.task());
        String kworker = "kworker/" + cpu + ":1H";
        String softirq = "ksoftirqd/" + cpu;
        await(q.submitAsync("sda1", List.of(new Bio(ReqOp.WRITE, EnumSet.of(ReqFlag.PREFLUSH, ReqFlag.SYNC), 0, 0, null)), demo));
        assertThat(lines()).filteredOn(l -> l.contains(" block_")).containsExactly(
                "demo block_bio_queue: 8,0 FWS 0 + 0 [demo]",
                "demo block_getrq: 8,0 FWS 0 + 0 [demo]",
                "demo block_io_start: 8,0 FWS 0 () 0 + 0 be,0,4 [demo]",
                kworker + " block_rq_issue: 8,0 FF 0 () 0 + 0 none,0,0 [" + kworker + "]",
                softirq + " block_rq_complete: 8,0 FF () 18446744073709551615 + 0 none,0,0 [0]",
                softirq + " block_io_done: 8,0 FF 0 () 0 + 0 none,0,0 [" + softirq + "]",
                softirq + " block_rq_complete: 8,0 WS () 0 + 0 be,0,4 [0]",
                softirq + " block_io_done: 8,0 WS 0 () 0 + 0 none,0,0 [" + softirq + "]");
        assertPerCpuThreadsRunOnTheirCpu();
        assertThat(q.stats().flushesCompleted.sum()).isEqualTo(1);
    }

    @Test
    void thePlugMergesABioInFrontOfItsLastRequest() {
        TraceContext ctx = new TraceContext("t4", new Task("demo", 1395));
        await(q.submitAsync("sda", List.of(write(272, 4096), write(264, 4096)), ctx));
        assertThat(lines()).filteredOn(l -> l.contains(" block_")).startsWith(
                "demo block_bio_queue: 8,0 W 272 + 8 [demo]",
                "demo block_getrq: 8,0 W 272 + 8 [demo]",
                "demo block_io_start: 8,0 W 4096 () 272 + 8 be,0,4 [demo]",
                "demo block_plug: [demo]",
                "demo block_bio_queue: 8,0 W 264 + 8 [demo]",
                "demo block_bio_frontmerge: 8,0 W 264 + 8 [demo]",
                "demo block_unplug: [demo] 1",
                "demo block_rq_issue: 8,0 W 8192 () 264 + 16 be,0,4 [demo]");
        assertThat(q.stats().writesMerged.sum()).isEqualTo(1);
        Bio r = BlkMqTest.read(264, 8192);
        await(q.submitAsync("sda", List.of(r), ctx));
        assertThat(java.util.Arrays.copyOfRange(r.data(), 0, 4096)).as("the bio merged in front").isEqualTo(pattern(4096, 264));
        assertThat(java.util.Arrays.copyOfRange(r.data(), 4096, 8192)).isEqualTo(pattern(4096, 272));
    }

    @Test
    void aPlugWhoseLastRequestReached128KiBIsFlushedBeforeTheNextRequestJoins() {
        TraceContext ctx = new TraceContext("t5", new Task("kworker/u16:2", 89));
        await(q.submitAsync("sda", List.of(write(0, 128 << 10), write(1024, 4096)), ctx));
        assertThat(lines()).filteredOn(l -> l.contains(" block_") && !l.contains("block_rq_complete")
                && !l.contains("block_io_done")).containsExactly(
                "kworker/u16:2 block_bio_queue: 8,0 W 0 + 256 [kworker/u16:2]",
                "kworker/u16:2 block_getrq: 8,0 W 0 + 256 [kworker/u16:2]",
                "kworker/u16:2 block_io_start: 8,0 W 131072 () 0 + 256 be,0,4 [kworker/u16:2]",
                "kworker/u16:2 block_plug: [kworker/u16:2]",
                "kworker/u16:2 block_bio_queue: 8,0 W 1024 + 8 [kworker/u16:2]",
                "kworker/u16:2 block_getrq: 8,0 W 1024 + 8 [kworker/u16:2]",
                "kworker/u16:2 block_io_start: 8,0 W 4096 () 1024 + 8 be,0,4 [kworker/u16:2]",
                "kworker/u16:2 block_unplug: [kworker/u16:2] 1",
                "kworker/u16:2 block_rq_issue: 8,0 W 131072 () 0 + 256 be,0,4 [kworker/u16:2]",
                "kworker/u16:2 block_plug: [kworker/u16:2]",
                "kworker/u16:2 block_unplug: [kworker/u16:2] 1",
                "kworker/u16:2 block_rq_issue: 8,0 W 4096 () 1024 + 8 be,0,4 [kworker/u16:2]");
    }

    @Test
    void aPlugHeldAcrossSubmissionsTracesItsUnplugAndIssuesAtItsFinishAndTheCompletionsAfterThem() {
        TraceContext kworker = new TraceContext("t6", new Task("kworker/u16:2", 89));
        await(q.submitAsync("sda1", List.of(write(8, 4096)), kworker, true));
        await(q.submitAsync("sda", List.of(write(0, 4096, ReqFlag.META), write(280, 4096, ReqFlag.META)), kworker, true));
        assertThat(lines()).as("the requests wait in the plug: no unplug, no issue, no completion yet").containsExactly(
                "kworker/u16:2 block_bio_remap: 8,0 W 8 + 8 <- (8,1) 8",
                "kworker/u16:2 block_bio_queue: 8,0 W 8 + 8 [kworker/u16:2]",
                "kworker/u16:2 block_getrq: 8,0 W 8 + 8 [kworker/u16:2]",
                "kworker/u16:2 block_io_start: 8,0 W 4096 () 8 + 8 be,0,4 [kworker/u16:2]",
                "kworker/u16:2 block_plug: [kworker/u16:2]",
                "kworker/u16:2 block_bio_queue: 8,0 WM 0 + 8 [kworker/u16:2]",
                "kworker/u16:2 block_getrq: 8,0 WM 0 + 8 [kworker/u16:2]",
                "kworker/u16:2 block_io_start: 8,0 WM 4096 () 0 + 8 be,0,4 [kworker/u16:2]",
                "kworker/u16:2 block_bio_queue: 8,0 WM 280 + 8 [kworker/u16:2]",
                "kworker/u16:2 block_getrq: 8,0 WM 280 + 8 [kworker/u16:2]",
                "kworker/u16:2 block_io_start: 8,0 WM 4096 () 280 + 8 be,0,4 [kworker/u16:2]");
        int before = lines().size();

        assertThat(q.finishPlug(kworker)).isEqualTo(3);
        List<String> after = lines().subList(before, lines().size());
        assertThat(after).filteredOn(l -> l.startsWith("kworker/")).containsExactly(
                "kworker/u16:2 block_unplug: [kworker/u16:2] 3",
                "kworker/u16:2 block_rq_issue: 8,0 W 4096 () 8 + 8 be,0,4 [kworker/u16:2]",
                "kworker/u16:2 ufshcd_command: send_req: 1d84000.ufshc: tag: 0, DB: 0x1, size: 4096, IS: 0, LBA: 1, opcode: 0x2a (WRITE_10), group_id: 0x0",
                "kworker/u16:2 block_rq_issue: 8,0 WM 4096 () 0 + 8 be,0,4 [kworker/u16:2]",
                "kworker/u16:2 ufshcd_command: send_req: 1d84000.ufshc: tag: 0, DB: 0x1, size: 4096, IS: 0, LBA: 0, opcode: 0x2a (WRITE_10), group_id: 0x0",
                "kworker/u16:2 block_rq_issue: 8,0 WM 4096 () 280 + 8 be,0,4 [kworker/u16:2]",
                "kworker/u16:2 ufshcd_command: send_req: 1d84000.ufshc: tag: 1, DB: 0x3, size: 4096, IS: 0, LBA: 35, opcode: 0x2a (WRITE_10), group_id: 0x0");
        assertThat(after.subList(7, after.size())).as("each completion after every issue").hasSize(9)
                .allMatch(l -> l.contains("complete_rsp") || l.contains("block_rq_complete") || l.contains("block_io_done"));
        assertThat(q.finishPlug(kworker)).as("the plug is gone: a second finish traces nothing").isZero();
        assertThat(lines()).hasSize(before + after.size());

        Bio r = BlkMqTest.read(8, 4096);
        await(q.submitAsync("sda", List.of(r), kworker));
        assertThat(r.data()).as("the bytes reached the device when submitted").isEqualTo(pattern(4096, 8));
    }
}
