package dev.ext4sim.writeback;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.ext4.Ext4Calls;
import dev.ext4sim.bus.kafka.KafkaBus;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceClock;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.writeback.WritebackCalls;
import dev.ext4sim.writeback.wb.InodeState;
import dev.ext4sim.writeback.wb.Jiffies;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The whole service (its Spring wiring, real kworker threads, the real clocks) against a real broker, with a fake
 * ext4-service and a caller on buses of their own: the rebuild at start, periodic writeback of an inode dirtied by
 * an event, sync(2), and a sysctl write with its DIRTY_LIMITS. Expiry is shortened to 1 s to keep it quick.
 */
@SpringBootTest(properties = {
        "ext4sim.writeback.dirty-expire-centisecs=100",
        "ext4sim.writeback.dirty-writeback-centisecs=50",
        "ext4sim.writeback.rebuild-retry=200ms",
        "ext4sim.writeback.resync-interval=0s"})
@DirtiesContext
class WritebackOverKafkaTest {
    static final int DIRTY = InodeState.I_DIRTY_SYNC | InodeState.I_DIRTY_PAGES;
    static final Duration WAIT = Duration.ofSeconds(60);
    static final Jiffies JIFFIES = new Jiffies(TraceClock.since(TraceClock.bootEpochNanos()));
    static final TraceContext WRITER = new TraceContext("5eed", new Task("demo", 4321));

    record Written(long ino, Task task, String reason, long pages) {
    }

    static final List<Written> written = new CopyOnWriteArrayList<>();
    /** ext4's dirty inodes (2 pages each): inode 20 was dirtied 10 s ago, while writeback was down. */
    static final java.util.Map<Long, Long> dirty = new java.util.concurrent.ConcurrentHashMap<>(
            java.util.Map.of(20L, JIFFIES.now() - 10 * Jiffies.HZ));
    static final List<WritebackCalls.DirtyLimits> limits = new CopyOnWriteArrayList<>();
    static volatile int dirtyInodesCalls;
    static EmbeddedKafkaKraftBroker broker;
    static KafkaBus ext4;
    static KafkaBus gateway;

    @DynamicPropertySource
    static void broker(DynamicPropertyRegistry registry) {
        startOthers();
        registry.add("spring.kafka.bootstrap-servers", broker::getBrokersAsString);
    }

    /** The broker, a fake ext4-service (which also announces the disk, as blockdev would) and a caller. */
    static synchronized void startOthers() {
        if (broker != null) {
            return;
        }
        broker = new EmbeddedKafkaKraftBroker(1, 1);
        broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
        broker.brokerProperty("offsets.topic.num.partitions", "1");
        broker.afterPropertiesSet();
        ext4 = new KafkaBus(Ext4Calls.SERVICE, broker.getBrokersAsString());
        ext4.server()
                .register(Ext4Calls.WRITEPAGES, (q, ctx) -> {
                    long pages = dirty.remove(q.ino()) == null ? 0 : 2;
                    written.add(new Written(q.ino(), ctx.trace().task(), q.reason(), pages));
                    return new Ext4Calls.WritepagesResult(pages, false, pages);
                })
                .register(Ext4Calls.DIRTY_INODES, (q, ctx) -> {
                    dirtyInodesCalls++;
                    return new Ext4Calls.DirtyInodes(q.dev(), dirty.entrySet().stream()
                            .map(e -> new Ext4Calls.DirtyInode(e.getKey(), DIRTY, e.getValue(), 2)).toList());
                });
        gateway = new KafkaBus("gateway", broker.getBrokersAsString());
        gateway.events().subscribe(WritebackCalls.DIRTY_LIMITS, (l, trace) -> limits.add(l));
        ext4.start(Duration.ofSeconds(30));
        gateway.start(Duration.ofSeconds(30));
        ext4.events().publish(BlockIo.DEVICE_ADDED, "sda", WritebackEndpointsTest.sda(), null).join();
    }

    @AfterAll
    static void stop() {
        if (ext4 != null) {
            ext4.close();
            gateway.close();
        }
    }

    @Autowired
    KafkaBus bus;
    @Autowired
    MeterRegistry registry;

    @Test
    void rebuildPeriodicWritebackSyncAndSysctlOverKafka() {
        await("writeback on the bus", bus::ready);
        await("the rebuild at start wrote inode 20", () -> inos().contains(20L));
        assertThat(dirtyInodesCalls).isPositive();
        await("DIRTY_LIMITS published at start", () -> !limits.isEmpty());

        dirtyInode(21);
        await("inode 21 written once expired", () -> inos().contains(21L));
        Written w21 = written.stream().filter(w -> w.ino() == 21).findFirst().orElseThrow();
        assertThat(w21.task()).isEqualTo(new Task("kworker/u16:2", 89));
        assertThat(w21.reason()).isEqualTo("periodic");

        // a 10-minute expiry: only sync writes inode 22 now
        gateway.client().invoke(WritebackCalls.SERVICE, WritebackCalls.SYSCTL,
                new WritebackCalls.Sysctl("vm.dirty_expire_centisecs", "60000"), WAIT, WRITER);
        dirtyInode(22);
        WritebackCalls.Synced synced = gateway.client().invoke(WritebackCalls.SERVICE, WritebackCalls.SYNC_INODES,
                new WritebackCalls.SyncInodes("sda1"), WAIT, WRITER);
        assertThat(written.stream().filter(w -> w.ino() == 22).map(Written::reason)).containsExactly("sync");
        assertThat(synced.pagesWritten()).isEqualTo(2);

        int before = limits.size();
        WritebackCalls.SysctlValue v = gateway.client().invoke(WritebackCalls.SERVICE, WritebackCalls.SYSCTL,
                new WritebackCalls.Sysctl("vm.dirty_ratio", "30"), WAIT, WRITER);
        assertThat(v.value()).isEqualTo("30");
        await("DIRTY_LIMITS after the sysctl write", () -> limits.size() > before);
        assertThat(limits.getLast().thresh()).isEqualTo(1228L * 262144 / 4096); // 30 % in 1/4096 units

        assertThat(registry.get("writeback.works").tag("reason", "periodic").counter().count()).isPositive();
        assertThat(registry.get("writeback.pages.written").tag("reason", "sync").counter().count()).isEqualTo(2);
    }

    /** What ext4 does on a write to a clean inode: dirty pages, then the event. */
    private static void dirtyInode(long ino) {
        long when = JIFFIES.now();
        dirty.put(ino, when);
        ext4.events().publish(WritebackCalls.INODE_DIRTIED, "sda1", new WritebackCalls.InodeDirtied("sda1", ino, DIRTY,
                DIRTY, 0100644, when), WRITER).join();
    }

    private static List<Long> inos() {
        return written.stream().map(Written::ino).toList();
    }

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + WAIT.toSeconds() + " s waiting for " + what);
            }
            try {
                Thread.sleep(20); // pacing of a condition poll that has a deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
