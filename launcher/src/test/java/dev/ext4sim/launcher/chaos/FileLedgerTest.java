package dev.ext4sim.launcher.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** What a crash may lose and what it may not, byte by byte. */
class FileLedgerTest {
    final FileLedger ledger = new FileLedger();

    static byte[] fill(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void whatTheLastFsyncCoveredMustSurviveAndWhatCameAfterMayNot() {
        ledger.wrote(0, fill(100, 1));
        ledger.synced();
        ledger.wrote(100, fill(50, 2));   // appended after the fsync: may be lost
        ledger.wrote(10, fill(10, 3));    // overwrote acknowledged bytes: either value may survive
        assertThat(ledger.ackedBytes()).isEqualTo(100);

        byte[] lostTheTail = fill(100, 1);
        assertThat(ledger.lostAcknowledged(lostTheTail)).isZero();
        byte[] newOverwrite = ledger.model();
        assertThat(ledger.lostAcknowledged(newOverwrite)).isZero();
        byte[] torn = fill(100, 1);
        torn[50] = 9;
        assertThat(ledger.lostAcknowledged(torn)).isEqualTo(1);
        assertThat(ledger.lostAcknowledged(fill(60, 1))).as("40 acknowledged bytes cut off").isEqualTo(40);
        assertThat(ledger.lostAcknowledged(new byte[0])).isEqualTo(90); // bytes 10..19 were overwritten since
    }

    @Test
    void aTruncateAfterTheFsyncMayShortenTheFile() {
        ledger.wrote(0, fill(100, 1));
        ledger.synced();
        ledger.truncated(40);
        assertThat(ledger.lostAcknowledged(fill(40, 1))).isZero();
        assertThat(ledger.lostAcknowledged(fill(100, 1))).isZero();
        ledger.synced();
        assertThat(ledger.lostAcknowledged(fill(40, 1))).isZero();
        assertThat(ledger.lostAcknowledged(fill(30, 1))).as("the truncate was acknowledged: 40 bytes stay").isEqualTo(10);
    }

    @Test
    void afterACleanStopEverythingWrittenIsThere() {
        ledger.wrote(0, fill(10, 1));
        ledger.truncated(20);
        assertThat(ledger.differsFromModel(ledger.model())).isZero();
        assertThat(ledger.differsFromModel(fill(10, 1))).isEqualTo(10);
        ledger.uncertain(5, 3);
        assertThat(ledger.uncertain()).isTrue();
    }

    @Test
    void aFileReadBackAfterAPageCacheDiedBecomesTheModelSoALaterFsyncAcknowledgesOnlyWhatIsThere() {
        ledger.wrote(0, fill(100, 1));
        ledger.synced();
        ledger.wrote(100, fill(50, 2)); // in the page cache of the ext4 that dies
        ledger.unacknowledgedMayBeLost();
        byte[] found = fill(100, 1);    // what the new mount holds
        assertThat(ledger.rebase(found)).isZero();
        assertThat(ledger.model()).isEqualTo(found);
        assertThat(ledger.uncertain()).as("the model is exact again").isFalse();
        ledger.wrote(200, fill(10, 3)); // past the end of what is there: a hole of zeros before it
        ledger.synced();
        byte[] onDisk = Arrays.copyOf(fill(100, 1), 210);
        System.arraycopy(fill(10, 3), 0, onDisk, 200, 10);
        assertThat(ledger.lostAcknowledged(onDisk)).as("the lost append was never acknowledged").isZero();
        assertThat(ledger.differsFromModel(onDisk)).isZero();
    }

    @Test
    void aLossIsCountedOnceWhereverItIsFound() {
        ledger.wrote(0, fill(100, 1));
        ledger.synced();
        byte[] torn = fill(100, 1);
        torn[7] = 0;
        assertThat(ledger.takeLost(torn)).isEqualTo(1);
        assertThat(ledger.takeLost(torn)).as("already reported").isZero();
        assertThat(ledger.rebase(torn)).isZero();
        assertThat(ledger.lostAcknowledged(torn)).isZero();
        assertThat(ledger.lostAcknowledged(fill(100, 1))).as("either value may be read after the loss").isZero();
        torn[8] = 0;
        assertThat(ledger.lostAcknowledged(torn)).as("the bytes beside it are still held").isEqualTo(1);
    }

    @Test
    void aDurableSnapshotKeepsTheMomentItWasTakenAndAnOperationInFlightLoosensOnlyItsRange() {
        ledger.wrote(0, fill(100, 1));
        ledger.synced();
        Durable then = ledger.durable();
        ledger.wrote(0, fill(100, 2)); // after the snapshot: the ledger learns it, the snapshot does not
        ledger.synced();

        assertThat(then.lost(fill(100, 1))).isZero();
        assertThat(then.lost(fill(100, 2))).as("the later write is not covered by the earlier moment").isEqualTo(100);
        Durable inFlight = then.inFlight(20, 30);
        assertThat(inFlight.lost(fill(100, 2))).isEqualTo(70);
        assertThat(then.inFlight(40, Long.MAX_VALUE).lost(fill(40, 1))).as("a truncate in flight may cut").isZero();
        assertThat(then.lost(fill(40, 1))).isEqualTo(60);
        assertThat(Durable.NOTHING.lost(new byte[0])).isZero();
    }
}
