package dev.ext4sim.blockdev.block;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.Task;
import org.junit.jupiter.api.Test;

class IoPrioTest {
    @Test
    void theJournalThreadRunsAtExt4sJournalPriorityAndEveryOtherTaskAtTheNiceZeroDefault() {
        assertThat(IoPrio.of(new Task("jbd2/sda1-8", 578))).isEqualTo(IoPrio.JOURNAL);
        assertThat(IoPrio.of(new Task("demo", 1395))).isEqualTo(IoPrio.BE_NORM);
        assertThat(IoPrio.of(new Task("kworker/u16:2", 89))).isEqualTo(IoPrio.BE_NORM);
    }

    @Test
    void packedAsTheKernelPacksItAndPrintedAsClassHintLevel() {
        assertThat(IoPrio.JOURNAL.value()).isEqualTo(0x4003);
        assertThat(IoPrio.BE_NORM.value()).isEqualTo(0x4004);
        assertThat(IoPrio.printk(IoPrio.BE_NORM.value())).containsExactly("be", 0, 4);
        assertThat(IoPrio.printk(IoPrio.NONE.value())).containsExactly("none", 0, 0);
        assertThat(IoPrio.printk(new IoPrio(1, 2, 7).value())).containsExactly("rt", 2, 7);
        assertThat(IoPrio.printk(new IoPrio(3, 0, 0).value())).containsExactly("idle", 0, 0);
        assertThat(IoPrio.printk(new IoPrio(5, 0, 0).value())).containsExactly("0x5", 0, 0);
    }
}
