package dev.ext4sim.blockdev.block;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The host's delays are credited back to the next command on a tag, never so far that the device runs faster. */
class TagCreditTest {
    final TagCredit credit = new TagCredit(32);

    @Test
    void aFreshTagArrivesNow() {
        assertThat(credit.arrival(3, 1_000_000)).isEqualTo(1_000_000);
    }

    @Test
    void aLateCompletionAndAQuickTurnaroundAreCreditedSoTheNextCommandFollowsTheLastAtOnce() {
        credit.freed(0, 1_100_000, 1_000_000, false); // 100 us late
        assertThat(credit.arrival(0, 1_150_000)).isEqualTo(1_000_000);
    }

    @Test
    void aSubmitterThatThinksPaysForItsThinkingUnlessItSleptWaitingForTheTag() {
        credit.freed(0, 1_000_000, 1_000_000, false);
        assertThat(credit.arrival(0, 1_500_000)).as("thought 500 us").isEqualTo(1_500_000);
        credit.freed(1, 1_000_000, 1_000_000, true);
        assertThat(credit.arrival(1, 1_500_000)).as("slept in blk_mq_get_tag: a slow wake-up").isEqualTo(1_000_000);
    }

    @Test
    void theCreditIsCappedAndNeverReachesBeforeTheDeviceFinishedTheTagsLastCommand() {
        credit.freed(0, 10_000_000, 5_000_000, true); // 5 ms late
        assertThat(credit.arrival(0, 10_000_000)).isEqualTo(10_000_000 - TagCredit.MAX_CREDIT_NANOS);
        credit.freed(1, 900_000, 1_000_000, true); // signalled 100 us early (the timer's wake-ahead)
        assertThat(credit.arrival(1, 950_000)).isEqualTo(1_000_000);
    }

    @Test
    void aCreditIsUsedOnce() {
        credit.freed(0, 1_100_000, 1_000_000, false);
        assertThat(credit.arrival(0, 1_100_000)).isEqualTo(1_000_000);
        assertThat(credit.arrival(0, 2_000_000)).isEqualTo(2_000_000);
    }
}
