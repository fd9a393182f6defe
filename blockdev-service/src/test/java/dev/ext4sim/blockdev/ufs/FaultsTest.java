package dev.ext4sim.blockdev.ufs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.blockdev.Blockdev;
import dev.ext4sim.blockdev.Trace;
import dev.ext4sim.blockdev.block.Bio;
import dev.ext4sim.blockdev.block.ReqOp;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Faults through the admin action, and bus submissions with bad input: errno replies, and the device keeps serving. */
class FaultsTest {
    final ManualClock clock = new ManualClock();
    final RecordingTraceSink sink = new RecordingTraceSink();
    final Blockdev dev = new Blockdev(Blockdev.Config.of("instant", Duration.ofSeconds(5), Duration.ZERO),
            new MemoryBlockDevice(4096, 1024), "memory", clock, clock, n -> clock.advance(Duration.ofNanos(n)), new Random(1), Runnable::run, Runnable::run,
            new Trace(new Tracer("blockdev-service", clock.traceClock(), sink, 2), true));
    final TraceContext ctx = new TraceContext("t", new Task("jbd2/sda1-8", 578));

    FaultsTest() {
        dev.probe("boot");
        sink.clear();
    }

    BlockIo.Completion submit(BlockIo.Bio bio, byte[] data) {
        return dev.submit(new BlockIo.Submit("sda1", List.of(bio), data), ctx, Duration.ofSeconds(1));
    }

    @Test
    void anEioFaultFailsWritesOnItsRangeOnlyAndClearing() {
        dev.admin(new BlockIo.Admin("add_fault", BlockIo.Fault.eio("WRITE", 0L, 8L)));
        assertThatThrownBy(() -> submit(BlockIo.Bio.write(0, 4096), new byte[4096]))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("EIO").hasMessageContaining("clear_faults");
        assertThat(sink.events("block_rq_complete").getLast().text()).isEqualTo("8,0 W () 0 + 8 [-5]");
        assertThat(submit(BlockIo.Bio.write(8, 4096), new byte[4096]).latencyUs()).hasSize(1);
        assertThat(submit(BlockIo.Bio.read(0, 4096), new byte[0]).data()).hasSize(4096);
        assertThat(dev.admin(BlockIo.Admin.of("list_faults")).faults()).hasSize(1);
        dev.admin(BlockIo.Admin.of("clear_faults"));
        assertThat(submit(BlockIo.Bio.write(0, 4096), new byte[4096]).latencyUs()).hasSize(1);
    }

    @Test
    void aLatencyFaultAddsToEachCommandOfItsOperation() {
        dev.admin(new BlockIo.Admin("add_fault", BlockIo.Fault.latency("READ", 1500)));
        var f = dev.queue().submitAsync("sda", List.of(new Bio(ReqOp.READ, java.util.Set.of(), 0, 4096, new byte[4096])), ctx);
        clock.advance(Duration.ofNanos(1_499_999));
        assertThat(f).isNotDone();
        clock.advance(Duration.ofNanos(1));
        assertThat(f.join().latencyNanos()).containsExactly(1_500_000L);
    }

    @Test
    void badFaultsAndBadSubmissionsGetEinvalAndChangeNothing() {
        assertThatThrownBy(() -> dev.admin(new BlockIo.Admin("add_fault", new BlockIo.Fault("melt", null, null, null, null))))
                .hasMessageContaining("EINVAL").hasMessageContaining("\"eio\" or \"latency\"");
        assertThatThrownBy(() -> dev.admin(new BlockIo.Admin("add_fault", BlockIo.Fault.eio("WRITE", 8L, 8L))))
                .hasMessageContaining("non-empty range");
        assertThatThrownBy(() -> dev.admin(BlockIo.Admin.of("explode"))).hasMessageContaining("unknown admin action");
        assertThat(dev.device().faults().list()).isEmpty();

        assertThatThrownBy(() -> submit(new BlockIo.Bio("TRIM", List.of(), 0, 4096), new byte[0])).hasMessageContaining("EINVAL");
        assertThatThrownBy(() -> submit(new BlockIo.Bio("WRITE", List.of("NOW"), 0, 4096), new byte[4096]))
                .hasMessageContaining("unknown flag 'NOW'");
        assertThatThrownBy(() -> submit(BlockIo.Bio.write(0, 4096), new byte[100])).hasMessageContaining("EINVAL");
        assertThatThrownBy(() -> submit(BlockIo.Bio.write(0, 4096), new byte[8192])).hasMessageContaining("need 4096 bytes");
        assertThatThrownBy(() -> submit(BlockIo.Bio.read(8L * 1024, 4096), new byte[0])).hasMessageContaining("EIO");
        assertThatThrownBy(() -> dev.submit(new BlockIo.Submit("nvme0n1", List.of(BlockIo.Bio.read(0, 4096)), null), ctx,
                Duration.ofSeconds(1))).hasMessageContaining("EINVAL").hasMessageContaining("no block device 'nvme0n1'");
        assertThat(sink.events()).isEmpty();

        byte[] data = new byte[8192];
        data[4096] = 7;
        dev.submit(new BlockIo.Submit("8,1", List.of(BlockIo.Bio.write(0, 4096), BlockIo.Bio.write(8, 4096, "SYNC")), data),
                ctx, Duration.ofSeconds(1));
        assertThat(submit(BlockIo.Bio.read(8, 4096), new byte[0]).data()[0]).isEqualTo((byte) 7);
    }
}
