package dev.ext4sim.blockdev.block;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RwbsTest {
    @Test
    void lettersInTheKernelsOrder() {
        assertThat(Rwbs.of(ReqOp.WRITE, Set.of())).isEqualTo("W");
        assertThat(Rwbs.of(ReqOp.READ, Set.of())).isEqualTo("R");
        assertThat(Rwbs.of(ReqOp.WRITE, EnumSet.of(ReqFlag.SYNC))).isEqualTo("WS");
        assertThat(Rwbs.of(ReqOp.WRITE, EnumSet.of(ReqFlag.SYNC, ReqFlag.META))).isEqualTo("WSM");
        assertThat(Rwbs.of(ReqOp.WRITE, EnumSet.allOf(ReqFlag.class))).isEqualTo("FWFSM");
        assertThat(Rwbs.of(ReqOp.WRITE, EnumSet.of(ReqFlag.PREFLUSH, ReqFlag.FUA, ReqFlag.SYNC))).isEqualTo("FWFS");
        assertThat(Rwbs.of(ReqOp.WRITE, EnumSet.of(ReqFlag.PREFLUSH, ReqFlag.SYNC))).isEqualTo("FWS");
        assertThat(Rwbs.of(ReqOp.FLUSH, EnumSet.of(ReqFlag.PREFLUSH))).isEqualTo("FF");
        assertThat(Rwbs.of(ReqOp.WRITE, EnumSet.of(ReqFlag.FUA, ReqFlag.SYNC))).isEqualTo("WFS");
    }
}
