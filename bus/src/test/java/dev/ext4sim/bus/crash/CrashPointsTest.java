package dev.ext4sim.bus.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CrashPointsTest {
    final List<String> events = new ArrayList<>();
    final CrashPoints points = new CrashPoints(List.of(new CrashPoints.Point("a", "first"),
            new CrashPoints.Point("b", "second")), new Random(3), () -> events.add("died"));

    @Test
    void anUnarmedPointDoesNothing() {
        for (int i = 0; i < 100; i++) {
            points.hit("a");
        }
        assertThat(events).isEmpty();
        assertThat(points.armed()).isEmpty();
    }

    @Test
    void nthFiresAtTheNthHitOfThatPointOnly() {
        points.arm("a", 3L, null);
        points.hit("b");
        points.hit("a");
        points.hit("a");
        assertThat(events).isEmpty();
        assertThat(points.armed()).containsExactly(new CrashPoints.Armed("a", 3L, null, 2));
        points.hit("a", () -> events.add("sent what was pending"));
        assertThat(events).containsExactly("sent what was pending", "died");
        points.hit("a");
        assertThat(events).as("the Nth hit only").hasSize(2);
    }

    @Test
    void probabilityFiresAtTheRateGiven() {
        points.arm("b", null, 0.25);
        for (int i = 0; i < 4000; i++) {
            points.hit("b");
        }
        assertThat(events.size()).isBetween(900, 1100);
    }

    @Test
    void disarmingStopsIt() {
        points.arm("a", 1L, null);
        points.arm("b", 1L, null);
        points.disarm("a");
        points.hit("a");
        assertThat(events).isEmpty();
        points.disarmAll();
        points.hit("b");
        assertThat(events).isEmpty();
    }

    @Test
    void badArmingsAreEinvalAndArmNothing() {
        assertThatThrownBy(() -> points.arm("c", 1L, null)).isInstanceOf(ErrnoException.class)
                .hasMessageContaining("no crash point 'c'").hasMessageContaining("[a, b]");
        assertThatThrownBy(() -> points.arm("a", null, null)).hasMessageContaining("not neither");
        assertThatThrownBy(() -> points.arm("a", 1L, 0.5)).hasMessageContaining("not both");
        assertThatThrownBy(() -> points.arm("a", 0L, null)).hasMessageContaining("from 1");
        assertThatThrownBy(() -> points.arm("a", null, 1.5)).hasMessageContaining("at most 1");
        assertThatThrownBy(() -> points.arm("a", null, 0.0)).hasMessageContaining("above 0");
        assertThatThrownBy(() -> points.arm(null, 1L, null))
                .satisfies(e -> assertThat(((ErrnoException) e).errno()).isEqualTo(Errno.EINVAL));
        assertThat(points.armed()).isEmpty();
    }
}
