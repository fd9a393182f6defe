package dev.ext4sim.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SizeArgumentTest {
    @Test
    void suffixesArePowersOf1024() {
        assertThat(SizeArgument.parse("1G")).isEqualTo(1L << 30);
        assertThat(SizeArgument.parse("64m")).isEqualTo(64L << 20);
        assertThat(SizeArgument.parse("1GiB")).isEqualTo(1L << 30);
        assertThat(SizeArgument.parse("512MB")).isEqualTo(512L << 20);
        assertThat(SizeArgument.parse("4096")).isEqualTo(4096);
        assertThat(SizeArgument.parse("2T")).isEqualTo(2L << 40);
    }

    @Test
    void garbageNamesTheExpectedForm() {
        assertThatThrownBy(() -> SizeArgument.parse("lots")).hasMessageContaining("K, M, G or T");
        assertThatThrownBy(() -> SizeArgument.parse("0")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> SizeArgument.parse("-1G")).hasMessageContaining("out of range");
    }
}
