package dev.ext4sim.blockdev.ufs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.blockdev.Blockdev;
import dev.ext4sim.blockdev.Trace;
import dev.ext4sim.blockdev.block.BlkMq;
import dev.ext4sim.blockdev.block.Bio;
import dev.ext4sim.blockdev.block.ReqOp;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Interrupt aggregation on a manual clock: the commands the device finished by a grid point complete together from
 * one interrupt (one timer), as ufshcd_transfer_req_compl handles every cleared doorbell bit at once.
 */
class UfshcdTransferReqComplTest {
    static final long GRID = 80_000;
    // ufs3.1 (as BlkMqTest): 442,857 ns per 4 KiB write with 31 in flight, of which 3,413 ns on the link
    static final long XFER_4K = 3_413;
    static final long OVERHEAD = 442_857 - XFER_4K;

    final ManualClock clock = new ManualClock();
    final RecordingTraceSink sink = new RecordingTraceSink();
    final Blockdev dev = new Blockdev(new Blockdev.Config("ufs3.1", 0, Duration.ofSeconds(5), Duration.ZERO, true,
            64L << 20, Duration.ofNanos(GRID)), new MemoryBlockDevice(4096, 4096), "memory", clock, clock,
            n -> clock.advance(Duration.ofNanos(n)), new Random(3), Runnable::run, Runnable::run,
            new Trace(new Tracer("blockdev-service", clock.traceClock(), sink, 2), true));
    final TraceContext ctx = new TraceContext("t", new Task("fio", 1000));

    UfshcdTransferReqComplTest() {
        dev.probe("boot");
        sink.clear();
        clock.advance(Duration.ofNanos(Math.ceilDiv(clock.nanoTime(), GRID) * GRID - clock.nanoTime())); // onto the grid
    }

    @Test
    void thirtyOneCommandsInFlightWaitOnOneTimerAndCompleteInABatchPerGridPoint() {
        BlkMq q = dev.queue();
        long t0 = clock.nanoTime();
        List<CompletableFuture<BlkMq.Completed>> writes = new ArrayList<>();
        long[] irq = new long[31];
        for (int k = 0; k < 31; k++) {
            writes.add(q.submitAsync("sda", List.of(new Bio(ReqOp.WRITE, Set.of(), 8L * k, 4096, new byte[4096])), ctx));
            // the overheads run in parallel, the transfers one after another; the interrupt comes at the next grid point
            long deadline = t0 + OVERHEAD + (k + 1) * XFER_4K;
            irq[k] = Math.ceilDiv(deadline, GRID) * GRID;
        }
        assertThat(clock.pendingTasks()).as("one timer for 31 commands").isEqualTo(1);
        TreeSet<Long> gridPoints = new TreeSet<>();
        for (long i : irq) {
            gridPoints.add(i);
        }
        assertThat(gridPoints).as("the 31 completions span several grid points").hasSizeGreaterThan(1);

        int completedBefore = 0;
        for (long point : gridPoints) {
            clock.advance(Duration.ofNanos(point - 1 - clock.nanoTime()));
            assertThat(writes.stream().filter(CompletableFuture::isDone).count()).isEqualTo(completedBefore);
            clock.advance(Duration.ofNanos(1));
            int batch = 0;
            for (int k = 0; k < 31; k++) {
                assertThat(writes.get(k).isDone()).as("write %d at %d", k, point).isEqualTo(irq[k] <= point);
                if (irq[k] == point) {
                    batch++;
                    assertThat(writes.get(k).join().latencyNanos()).containsExactly(point - t0);
                }
            }
            completedBefore += batch;
            assertThat(sink.events("ufshcd_command").stream().filter(e -> e.text().startsWith("complete_rsp")))
                    .hasSize(completedBefore);
            assertThat(clock.pendingTasks()).as("re-armed for the next grid point only").isEqualTo(
                    completedBefore < 31 ? 1 : 0);
        }
        assertThat(q.inFlight()).isZero();
        assertThat(q.stats().writesCompleted.sum()).isEqualTo(31);
    }

    @Test
    void theDoorbellBitsOfABatchClearTogether() {
        BlkMq q = dev.queue();
        // two writes finishing 3.4 us apart, 442.9 and 446.3 us after a grid point: both signalled at 480 us
        long t0 = clock.nanoTime();
        var a = q.submitAsync("sda", List.of(new Bio(ReqOp.WRITE, Set.of(), 0, 4096, new byte[4096])), ctx);
        var b = q.submitAsync("sda", List.of(new Bio(ReqOp.WRITE, Set.of(), 64, 4096, new byte[4096])), ctx);
        clock.advance(Duration.ofNanos(6 * GRID - 1));
        assertThat(a).isNotDone();
        clock.advance(Duration.ofNanos(1));
        assertThat(a.join().latencyNanos()).containsExactly(6 * GRID);
        assertThat(b.join().latencyNanos()).containsExactly(6 * GRID);
        assertThat(clock.nanoTime() - t0).isEqualTo(6 * GRID);
        // each completed tag is traced with the doorbell register as the handler read it: both bits already clear
        assertThat(sink.events("ufshcd_command").stream().map(e -> e.text()).filter(t -> t.startsWith("complete_rsp")))
                .containsExactly(
                        "complete_rsp: 1d84000.ufshc: tag: 0, DB: 0x0, size: 4096, IS: 1, LBA: 0, opcode: 0x2a (WRITE_10), group_id: 0x0",
                        "complete_rsp: 1d84000.ufshc: tag: 1, DB: 0x0, size: 4096, IS: 1, LBA: 8, opcode: 0x2a (WRITE_10), group_id: 0x0");
    }
}
