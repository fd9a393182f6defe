package dev.ext4sim.bus.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KernelProfileTest {

    @Test
    void theTwoProfilesAndTheirLineLayouts() {
        assertThat(KernelProfile.parse("4.x")).isEqualTo(KernelProfile.V4X);
        assertThat(KernelProfile.parse(" 6.X ")).isEqualTo(KernelProfile.V6X);
        assertThat(KernelProfile.parse("6").layout()).isEqualTo(FtraceLayout.KERNEL_6X);
        assertThat(KernelProfile.V4X.layout()).isEqualTo(FtraceLayout.KERNEL_4X);
        assertThat(KernelProfile.V6X.v6()).isTrue();
        assertThat(KernelProfile.V4X).hasToString("4.x");
    }

    @Test
    void anUnknownKernelNamesTheOnesThatExist() {
        assertThatThrownBy(() -> KernelProfile.parse("5.10")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ext4sim.kernel must be 4.x or 6.x, not '5.10'");
        assertThatThrownBy(() -> KernelProfile.parse(null)).hasMessageContaining("not 'null'");
    }

    @Test
    void aTracerKeepsItsProfileAndDefaultsToTheSeeds() {
        TraceClock clock = TraceClock.since(0);
        assertThat(new Tracer("x", clock, TraceSink.NONE, 1).profile()).isEqualTo(KernelProfile.V4X);
        assertThat(new Tracer("x", clock, TraceSink.NONE, 1, KernelProfile.V6X).profile()).isEqualTo(KernelProfile.V6X);
    }
}
