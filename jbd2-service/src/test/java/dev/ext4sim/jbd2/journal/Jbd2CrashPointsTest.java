package dev.ext4sim.jbd2.journal;

import static dev.ext4sim.jbd2.testing.JournalFixture.block;
import static dev.ext4sim.jbd2.testing.JournalFixture.home;
import static dev.ext4sim.jbd2.testing.JournalFixture.task;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.crash.CrashPoints;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.jbd2.testing.JournalFixture;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each of jbd2's crash points is reached where its name says, in a commit's order; a dying that only records. */
class Jbd2CrashPointsTest {
    private final JournalFixture f = new JournalFixture();
    private final List<String> fired = new CopyOnWriteArrayList<>();
    private final CrashPoints points = new CrashPoints(Jbd2CrashPoints.POINTS, new Random(1), () -> {
    });
    private Kjournald2 kjournald;

    @AfterEach
    void stop() {
        if (kjournald != null) {
            kjournald.stop();
        }
    }

    @Test
    void aCommitReachesItsPointsInOrder() {
        f.load();
        for (CrashPoints.Point p : Jbd2CrashPoints.POINTS) {
            points.arm(p.name(), 1L, null);
        }
        Journal j = f.journal;
        j.writer.setPoints(point -> {
            fired.add(point);
            points.hit(point);
        });
        kjournald = new Kjournald2(j, change -> {
            int before = points.armed().stream().mapToInt(a -> (int) a.hits()).sum();
            Jbd2CrashPoints.onCommitState(points, change);
            if (points.armed().stream().mapToInt(a -> (int) a.hits()).sum() > before) {
                fired.add(change.state().name());
            }
        });
        TraceContext writer = task("demo", 1234);
        Handle h = j.jbd2_journal_start(writer, 4, 1, 100);
        j.jbd2_journal_get_write_access(h, home(0));
        j.jbd2_journal_dirty_metadata(h, home(0), block(0x11));
        j.jbd2_journal_stop(h);
        j.jbd2_log_start_commit(h.tid(), writer);
        assertThat(kjournald.commitNow()).isPresent();

        assertThat(fired).containsSubsequence("T_LOCKED", Jbd2CrashPoints.COMMIT_LOGGING, "T_COMMIT_CALLBACK");
        assertThat(points.armed()).filteredOn(a -> a.point().equals(Jbd2CrashPoints.COMMIT_LOCKED))
                .extracting(CrashPoints.Armed::hits).containsExactly(1L);
        assertThat(points.armed()).filteredOn(a -> a.point().equals(Jbd2CrashPoints.COMMIT_RECORD_WRITTEN))
                .extracting(CrashPoints.Armed::hits).containsExactly(1L);
    }
}
