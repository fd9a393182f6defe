package dev.ext4sim.writeback.wb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SysctlTest {
    private final WbFixture f = new WbFixture();
    private final Sysctl sysctl = f.writeback.sysctl();

    @Test
    void theKernelsDefaults() {
        assertThat(sysctl.all()).containsAllEntriesOf(Map.of(Sysctl.DIRTY_RATIO, 20L, Sysctl.DIRTY_BACKGROUND_RATIO, 10L,
                Sysctl.DIRTY_BYTES, 0L, Sysctl.DIRTY_BACKGROUND_BYTES, 0L, Sysctl.DIRTY_EXPIRE_CENTISECS, 3000L,
                Sysctl.DIRTY_WRITEBACK_CENTISECS, 500L));
        assertThat(sysctl.read(Sysctl.DIRTY_EXPIRE_CENTISECS)).isEqualTo("3000\n");
    }

    @Test
    void badValuesGetEinvalAndChangeNothing() {
        Map<String, Long> before = sysctl.all();
        PageWriteback.DirtyLimits limits = f.writeback.pageWriteback().domain_dirty_limits(null);
        for (String[] bad : new String[][]{{Sysctl.DIRTY_RATIO, "101"}, {Sysctl.DIRTY_RATIO, "-1"},
                {Sysctl.DIRTY_BACKGROUND_RATIO, "abc"}, {Sysctl.DIRTY_BYTES, "8191"}, {Sysctl.DIRTY_BYTES, "-4096"},
                {Sysctl.DIRTY_BACKGROUND_BYTES, "0"}, {Sysctl.DIRTY_EXPIRE_CENTISECS, "-5"},
                {Sysctl.DIRTY_WRITEBACK_CENTISECS, "2147483648"}, {Sysctl.DIRTY_WRITEBACK_CENTISECS, ""},
                {Sysctl.DIRTY_WRITEBACK_CENTISECS, "5 00"}, {Sysctl.DIRTY_EXPIRE_CENTISECS, "99999999999999999999"}}) {
            assertThatThrownBy(() -> sysctl.write(bad[0], bad[1])).as(bad[0] + "=" + bad[1])
                    .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        }
        assertThatThrownBy(() -> sysctl.write("vm.dirty_nonsense", "1"))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        assertThat(sysctl.all()).isEqualTo(before);
        assertThat(f.writeback.pageWriteback().domain_dirty_limits(null)).isEqualTo(limits);
    }

    @Test
    void theBytesAndRatioPairsAreExclusiveAndMoveTheThresholds() {
        sysctl.write(Sysctl.DIRTY_BYTES, " 104857600\n");
        assertThat(sysctl.get(Sysctl.DIRTY_RATIO)).isZero();
        assertThat(f.writeback.pageWriteback().domain_dirty_limits(null).thresh()).isEqualTo(25600);
        assertThat(f.writeback.pageWriteback().dirty_limit()).as("writeback_set_ratelimit").isEqualTo(25600);
        sysctl.write(Sysctl.DIRTY_RATIO, "40");
        assertThat(sysctl.get(Sysctl.DIRTY_BYTES)).isZero();
        assertThat(f.writeback.pageWriteback().domain_dirty_limits(null).thresh()).isEqualTo(1638 * 262144L / 4096);

        sysctl.write(Sysctl.DIRTY_BACKGROUND_BYTES, "4097");
        assertThat(sysctl.get(Sysctl.DIRTY_BACKGROUND_RATIO)).isZero();
        assertThat(f.writeback.pageWriteback().domain_dirty_limits(null).bgThresh()).isEqualTo(2); // DIV_ROUND_UP
        sysctl.write(Sysctl.DIRTY_BACKGROUND_RATIO, "90");
        assertThat(sysctl.get(Sysctl.DIRTY_BACKGROUND_BYTES)).isZero();
        PageWriteback.DirtyLimits l = f.writeback.pageWriteback().domain_dirty_limits(null);
        assertThat(l.bgThresh()).as("bg_thresh >= thresh is halved").isEqualTo(l.thresh() / 2);
    }

    @Test
    void changingDirtyWritebackCentisecsReArmsTheTimerAndZeroStopsPeriodicWriteback() {
        f.write(12, 1);                     // armed for 5 s
        f.advanceToSeconds(1);
        sysctl.write(Sysctl.DIRTY_WRITEBACK_CENTISECS, "100");
        f.advanceToSeconds(1.99);
        assertThat(f.sink.events("writeback_pages_written")).isEmpty();
        f.advanceToSeconds(2);
        assertThat(f.sink.events("writeback_pages_written")).as("re-armed to 1 s from the change").hasSize(1);
        assertThat(f.lines("writeback_start")).singleElement().asString().contains("reason=periodic");
        f.advanceToSeconds(4);
        assertThat(f.sink.events("writeback_pages_written")).as("every second now").hasSize(3);

        sysctl.write(Sysctl.DIRTY_WRITEBACK_CENTISECS, "0");
        assertThat(f.wb.dwork().delayed_work_pending()).isFalse();
        f.advanceToSeconds(100);
        assertThat(f.sink.events("writeback_pages_written")).hasSize(3);
        assertThat(f.ext4.calls).as("expired, but periodic writeback is off").isEmpty();

        sysctl.write(Sysctl.DIRTY_WRITEBACK_CENTISECS, "500");
        f.advanceToSeconds(104.9);
        assertThat(f.ext4.calls).isEmpty();
        f.advanceToSeconds(105);
        assertThat(f.ext4.writtenInos()).containsExactly(12L);
    }

    @Test
    void aShorterDirtyExpireTakesEffectAtTheNextPass() {
        f.write(12, 1);
        sysctl.write(Sysctl.DIRTY_EXPIRE_CENTISECS, "200");
        f.advanceToSeconds(5);
        assertThat(f.ext4.writtenInos()).containsExactly(12L);
        assertThat(f.lines("writeback_queue_io").getFirst()).isEqualTo(
                "bdi 8:0: older=4294893046 age=2000 enqueue=1 reason=periodic cgroup=/");
    }
}
