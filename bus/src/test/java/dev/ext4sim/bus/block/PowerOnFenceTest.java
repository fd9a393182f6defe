package dev.ext4sim.bus.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PowerOnFenceTest {
    final List<String> died = new ArrayList<>();
    final PowerOnFence fence = new PowerOnFence(died::add);

    static BlockIo.Completion completion(long powerOn) {
        return new BlockIo.Completion(List.of(10L), new byte[0], powerOn);
    }

    static BlockIo.Submit flush() {
        return new BlockIo.Submit("sda1", List.of(BlockIo.Bio.flush()), new byte[0]);
    }

    @Test
    void theFirstCompletionTeachesThePowerOnThatEverySubmissionThenNames() {
        assertThat(fence.stamp(flush()).powerOn()).as("first contact names none").isZero();
        fence.completed(completion(0xa1));
        assertThat(fence.stamp(flush()).powerOn()).isEqualTo(0xa1);
        fence.completed(completion(0xa1));
        fence.check(0xa1, "jbd2");
        fence.check(0, "an old jbd2 that does not say");
        assertThat(died).isEmpty();
    }

    @Test
    void aCompletionOrAJournalLoadUnderAnotherPowerOnTakesTheSubmitterDown() {
        fence.completed(completion(0xa1));
        fence.completed(completion(0xb2));
        assertThat(died).singleElement().asString().contains("power cut", "b2", "a1");
        died.clear();
        fence.check(0xc3, "jbd2-service's load of the journal");
        assertThat(died).singleElement().asString().startsWith("jbd2-service's load of the journal");
    }

    @Test
    void onlyEstaleFromBlockdevIsAPowerCutOtherErrorsAreTheCallersToHandle() {
        ErrnoException eio = new ErrnoException(Errno.EIO, "injected fault");
        assertThat(fence.failed(eio)).isSameAs(eio);
        assertThat(died).isEmpty();
        ErrnoException stale = PowerOnFence.refusal(0xa1, 0xb2);
        assertThat(stale.errno()).isEqualTo(Errno.ESTALE);
        fence.failed(stale);
        assertThat(died).hasSize(1);
    }

    @Test
    void blockdevAcceptsTheCurrentPowerOnAndAFirstContactAndRefusesAnOlderOne() {
        assertThat(PowerOnFence.refusal(0, 0xb2)).isNull();
        assertThat(PowerOnFence.refusal(0xb2, 0xb2)).isNull();
        assertThatThrownBy(() -> {
            throw PowerOnFence.refusal(0xa1, 0xb2);
        }).hasMessageContaining("powered on again");
    }
}
