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
    /** {@code blocks} blocks of 4 KiB, each filled with its value. */
    static byte[] blocks(int... values) {
        byte[] b = new byte[values.length * Durable.BLOCK];
        for (int i = 0; i < values.length; i++) {
            Arrays.fill(b, i * Durable.BLOCK, (i + 1) * Durable.BLOCK, (byte) values[i]);
        }
        return b;
    }

    @Test
    void anUnacknowledgedDirectWriteLeavesEachBlockOldOrNewAndNothingElse() {
        ledger.wrote(0, blocks(1, 1));
        ledger.synced();
        ledger.directWriteMayHaveHappened(4096, blocks(2, 2)); // over block 1, and block 2 past the end

        assertThat(ledger.lostAcknowledged(blocks(1, 1))).as("nothing of it landed").isZero();
        assertThat(ledger.lostAcknowledged(blocks(1, 2, 2))).as("all of it").isZero();
        assertThat(ledger.lostAcknowledged(blocks(1, 1, 2))).as("block by block").isZero();
        assertThat(ledger.lostAcknowledged(blocks(1, 2))).as("block 1, the size not yet moved").isZero();

        assertThat(ledger.lostAcknowledged(blocks(1, 9))).as("block 1 from a block the file did not own").isEqualTo(4096);
        assertThat(ledger.lostAcknowledged(blocks(1, 2, 9))).as("stale data past the old end").isEqualTo(4096);
        assertThat(ledger.lostAcknowledged(blocks(1, 0, 2))).as("zeros are not block 1's old bytes").isEqualTo(4096);
        byte[] torn = blocks(1, 1, 2);
        Arrays.fill(torn, 4096, 6144, (byte) 2);
        assertThat(ledger.lostAcknowledged(torn)).as("a torn block").isEqualTo(4096);
        assertThat(ledger.lostAcknowledged(blocks(1))).as("block 1 was acknowledged").isEqualTo(4096);
        assertThat(ledger.describeLoss(blocks(1, 9))).contains("the block at offset 4096 of an unacknowledged direct write");

        ledger.wrote(4096, blocks(2, 2));
        ledger.synced();
        assertThat(ledger.lostAcknowledged(blocks(1, 2, 2))).isZero();
        assertThat(ledger.lostAcknowledged(blocks(1, 2))).as("acknowledged once the retry succeeded").isEqualTo(4096);
    }

    @Test
    void theHoleADirectWritePastTheEndLeavesReadsAsZerosOrNotAtAll() {
        ledger.wrote(0, blocks(1));
        ledger.synced();
        ledger.directWriteMayHaveHappened(8192, blocks(3)); // block 1 stays a hole

        assertThat(ledger.lostAcknowledged(blocks(1))).isZero();
        assertThat(ledger.lostAcknowledged(blocks(1, 0, 3))).isZero();
        assertThat(ledger.lostAcknowledged(blocks(1, 0))).isZero();
        assertThat(ledger.lostAcknowledged(blocks(1, 7, 3))).as("the hole holds another file's block").isEqualTo(4096);
        assertThat(ledger.lostAcknowledged(blocks(1, 0, 0))).as("zeros, as an extent not yet converted reads")
                .isZero();
        assertThat(ledger.lostAcknowledged(blocks(1, 0, 5))).isEqualTo(4096);
    }

    @Test
    void aDirectBlockFoundWrongIsCountedOnceAndARetryAfterTheFileWasReadBackKeepsTheRule() {
        ledger.wrote(0, blocks(1, 1));
        ledger.synced();
        ledger.directWriteMayHaveHappened(0, blocks(2));
        byte[] stale = blocks(9, 1);
        assertThat(ledger.takeLost(stale)).isEqualTo(4096);
        assertThat(ledger.takeLost(stale)).as("already reported").isZero();

        ledger.wrote(0, blocks(1, 1));
        ledger.synced();
        ledger.unacknowledgedMayBeLost();
        assertThat(ledger.rebase(blocks(1, 1))).isZero();
        ledger.directWriteMayHaveHappened(4096, blocks(4));
        assertThat(ledger.rebase(blocks(1, 4))).as("read back with the write landed").isZero();
        ledger.directWriteMayHaveHappened(4096, blocks(4)); // tried again after the file was opened again
        assertThat(ledger.lostAcknowledged(blocks(1, 1))).isZero();
        assertThat(ledger.lostAcknowledged(blocks(1, 4))).isZero();
        assertThat(ledger.lostAcknowledged(blocks(1, 8))).isEqualTo(4096);
    }
}
