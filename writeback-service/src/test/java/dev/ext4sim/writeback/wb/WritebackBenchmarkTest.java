package dev.ext4sim.writeback.wb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.trace.Tracer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * How much the writeback core itself costs, with ext4 answering at once and events counted, not kept: dirtying
 * inodes, and one sync pass over all of them on a kworker thread. Prints numbers; asserts only that all was written.
 */
class WritebackBenchmarkTest {
    private static final int INODES = 20_000;

    @Test
    void dirtyingAndWritingBackTwentyThousandInodes() throws Exception {
        ManualClock clock = new ManualClock();
        AtomicLong events = new AtomicLong();
        FakeExt4 ext4 = new FakeExt4();
        Writeback writeback = new Writeback(Writeback.Config.defaults(), ext4,
                new Tracer("writeback-service", clock.traceClock(), e -> events.incrementAndGet(), 8),
                clock.traceClock(), clock, Writeback.kworkers());
        ext4.wb = writeback;
        writeback.bdi_register(WbFixture.sda());
        try {
            for (int round = 0; round < 2; round++) { // the first round warms the JIT
                long t0 = System.nanoTime();
                for (int i = 0; i < INODES; i++) {
                    long ino = 12 + i;
                    ext4.dirty(ino, 1);
                    writeback.account_page_dirtied(WbFixture.SDA1, 1);
                    writeback.mark_inode_dirty(WbFixture.SDA1, ino, InodeState.I_DIRTY_PAGES | InodeState.I_DIRTY_SYNC);
                }
                long t1 = System.nanoTime();
                events.set(0);
                writeback.sync(WbFixture.task("sync", 1)).get(60, TimeUnit.SECONDS);
                long t2 = System.nanoTime();
                assertThat(writeback.bdis().getFirst().lists().bDirty()).isEmpty();
                System.out.printf("writeback core, round %d: mark_inode_dirty %.2f us/inode; sync of %d inodes %.1f ms"
                                + " (%.0f inodes/s, %d events)%n", round, (t1 - t0) / 1e3 / INODES, INODES,
                        (t2 - t1) / 1e6, INODES / ((t2 - t1) / 1e9), events.get());
            }
        } finally {
            writeback.close();
        }
    }
}
