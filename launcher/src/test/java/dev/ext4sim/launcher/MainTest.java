package dev.ext4sim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The commands that only print: asking for help is no error, an unknown command is. */
class MainTest {
    @Test
    void helpPrintsTheUsageAndSucceeds() throws Exception {
        for (String help : new String[]{"help", "-h", "--help"}) {
            assertThat(Main.run(new String[]{help})).as(help).isZero();
        }
    }

    @Test
    void anUnknownCommandOrNoneIsAUsageError() throws Exception {
        assertThat(Main.run(new String[]{"bogus"})).isEqualTo(2);
        assertThat(Main.run(new String[0])).isEqualTo(2);
    }
}
