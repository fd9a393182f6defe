package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import org.junit.jupiter.api.Test;

/** parse_options as ext4sim takes it: the defaults, the last of conflicting options, and EINVAL for the rest. */
class MountOptionsTest {
    @Test
    void noOptionsAreDelallocAndOrdered() {
        assertThat(MountOptions.parse(null)).isEqualTo(MountOptions.DEFAULTS);
        assertThat(MountOptions.parse(" ")).isEqualTo(MountOptions.DEFAULTS);
        assertThat(MountOptions.DEFAULTS.delalloc()).isTrue();
        assertThat(MountOptions.DEFAULTS.data()).isEqualTo(MountOptions.DataMode.ORDERED);
        assertThat(MountOptions.DEFAULTS.mountedMessage()).isEqualTo("mounted filesystem with ordered data mode. Opts: (null)");
    }

    @Test
    void nodelallocAndDataWritebackAreTakenAndNamedInTheMountLine() {
        MountOptions o = MountOptions.parse("nodelalloc,data=writeback");
        assertThat(o.delalloc()).isFalse();
        assertThat(o.data()).isEqualTo(MountOptions.DataMode.WRITEBACK);
        assertThat(o.mountedMessage()).isEqualTo("mounted filesystem with writeback data mode. Opts: nodelalloc,data=writeback");
        // the last one wins, as in parse_options
        MountOptions back = MountOptions.parse("nodelalloc, delalloc ,data=writeback,data=ordered");
        assertThat(back.delalloc()).isTrue();
        assertThat(back.data()).isEqualTo(MountOptions.DataMode.ORDERED);
    }

    @Test
    void dataJournalClearsDelallocAndRefusesAnExplicitOneWhereverItStands() {
        MountOptions j = MountOptions.parse("data=journal");
        assertThat(j.journalData()).isTrue();
        assertThat(j.delalloc()).isFalse();
        assertThat(j.mountedMessage()).isEqualTo("mounted filesystem with journalled data mode. Opts: data=journal");
        assertThat(MountOptions.parse("nodelalloc,data=journal").delalloc()).isFalse();
        for (String both : new String[]{"delalloc,data=journal", "data=journal,delalloc"}) {
            assertThatThrownBy(() -> MountOptions.parse(both))
                    .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL))
                    .hasMessageContaining("can't mount with both data=journal and delalloc");
        }
        // a later data= mode takes journalling back, and delalloc with it
        assertThat(MountOptions.parse("data=journal,data=ordered").delalloc()).isTrue();
    }

    @Test
    void anUnknownOrEmptyOptionIsEinval() {
        assertThatThrownBy(() -> MountOptions.parse("nodelaloc"))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL))
                .hasMessageContaining("Unrecognized mount option \"nodelaloc\"");
        assertThatThrownBy(() -> MountOptions.parse("nodelalloc,,data=ordered"))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThatThrownBy(() -> MountOptions.parse("data="))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
    }
}
