package dev.ext4sim.ext4.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.call.Events;
import dev.ext4sim.bus.call.Frame;
import dev.ext4sim.bus.call.Topics;
import dev.ext4sim.bus.call.Transport;
import dev.ext4sim.bus.testing.InMemoryTransport;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.writeback.WritebackCalls;
import dev.ext4sim.ext4.port.WritebackPort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ext4's writeback events and balance_dirty_pages over the bus. */
class BusWritebackTest {
    static final TraceContext W = new TraceContext("00000000000000bb", new Task("writer", 7));

    /** Events whose sends complete only when the test says so: "in flight" is observable. */
    static final class HeldTransport implements Transport {
        record Sent(String topic, String key, Frame frame, CompletableFuture<Void> done) {
        }

        final List<Sent> sent = new ArrayList<>();

        @Override
        public synchronized CompletableFuture<Void> send(String topic, String key, Frame frame) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            sent.add(new Sent(topic, key, frame, f));
            return f;
        }
    }

    ManualClock clock;
    HeldTransport events;
    List<WritebackCalls.PageCounters> counters;
    List<WritebackCalls.InodeDirtied> dirtied;
    AtomicInteger balanceCalls;
    BusWriteback wb;

    @BeforeEach
    void setUp() {
        clock = new ManualClock();
        clock.advanceMillis(1000);
        events = new HeldTransport();
        counters = new ArrayList<>();
        dirtied = new ArrayList<>();
        balanceCalls = new AtomicInteger();
        InMemoryTransport calls = new InMemoryTransport();
        CallServer writeback = new CallServer(WritebackCalls.SERVICE, calls, clock, Runnable::run)
                .register(WritebackCalls.BALANCE_DIRTY_PAGES, (q, c) -> {
                    balanceCalls.incrementAndGet();
                    return new WritebackCalls.Pause(q.pagesDirtied() * 1_000_000L);
                });
        CallClient client = new CallClient(Topics.replies("ext4-service"), calls, clock, clock, s -> Optional.of(true),
                Runnable::run);
        calls.routeCalls(WritebackCalls.SERVICE, writeback).routeReplies("ext4-service", client);
        wb = new BusWriteback(new Events("ext4-service", events), client, "sda1", clock::nanoTime, Duration.ofSeconds(5));
    }

    /** What writeback-service would receive from the frames sent so far. */
    void deliver() {
        Events receiver = new Events(WritebackCalls.SERVICE, events)
                .subscribe(WritebackCalls.PAGE_COUNTERS, (pc, ctx) -> counters.add(pc))
                .subscribe(WritebackCalls.INODE_DIRTIED, (d, ctx) -> dirtied.add(d));
        counters.clear();
        dirtied.clear();
        for (HeldTransport.Sent s : List.copyOf(events.sent)) {
            assertThat(s.key()).isEqualTo("sda1");
            receiver.onEvent(s.frame(), "ext4-service");
        }
    }

    /** {@code n} pages dirtied since the mount and still dirty. */
    private static WritebackPort.PageCounts dirty(long n) {
        return new WritebackPort.PageCounts(n, 0, n, 0);
    }

    @Test
    void pageCountersAreCoalescedToOneInFlightAndTheNewestFollows() {
        wb.pageCountersChanged(W, dirty(1));
        wb.pageCountersChanged(W, dirty(2));
        wb.pageCountersChanged(W, dirty(3));
        assertThat(events.sent).hasSize(1);

        events.sent.getFirst().done().complete(null);
        assertThat(events.sent).hasSize(2);
        events.sent.get(1).done().complete(null);
        assertThat(events.sent).as("nothing newer pending").hasSize(2);

        deliver();
        assertThat(counters).extracting(WritebackCalls.PageCounters::dirtyPages).containsExactly(1L, 3L);
        assertThat(counters.get(1).dirtiedPages()).as("the newest absolute counts, not a sum").isEqualTo(3);
        assertThat(counters.get(1).seq()).isGreaterThan(counters.get(0).seq());
    }

    @Test
    void anInodeDirtiedCarriesTheWritersTimeAndJiffies() {
        wb.inodeDirtied(W, new WritebackPort.InodeDirtied(0x800001, 12, 7, 7, 0100644, 4294892546L));
        deliver();
        assertThat(dirtied).containsExactly(new WritebackCalls.InodeDirtied("sda1", 12, 7, 7, 0100644, 4294892546L,
                clock.nanoTime()));
    }

    @Test
    void balanceDirtyPagesIsAskedOnlyPastTheFreerunPoint() {
        assertThat(wb.balanceDirtyPagesRatelimited(W, 4)).as("limits unknown").isZero();
        wb.limits(new WritebackCalls.DirtyLimits(50, 100, 75));
        wb.pageCountersChanged(W, dirty(75));
        assertThat(wb.balanceDirtyPagesRatelimited(W, 4)).isZero();
        assertThat(balanceCalls).hasValue(0);

        events.sent.getFirst().done().complete(null);
        wb.pageCountersChanged(W, dirty(76));
        assertThat(wb.balanceDirtyPagesRatelimited(W, 4)).isEqualTo(Duration.ofMillis(4));
        assertThat(balanceCalls).hasValue(1);
    }
}
