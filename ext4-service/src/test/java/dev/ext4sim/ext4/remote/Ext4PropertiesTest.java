package dev.ext4sim.ext4.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.ext4.fs.MountOptions;
import org.junit.jupiter.api.Test;

/** ext4sim.ext4.mount-options: unset is the default mount, a bad value stops the service before it mounts. */
class Ext4PropertiesTest {
    private static Ext4Properties withOptions(String options) {
        return new Ext4Properties(null, null, null, null, 0, null, null, null, null, null, options);
    }

    @Test
    void unsetMeansDelallocAndDataOrdered() {
        assertThat(withOptions(null).parsedMountOptions()).isEqualTo(MountOptions.DEFAULTS);
        assertThat(withOptions("").parsedMountOptions()).isEqualTo(MountOptions.DEFAULTS);
    }

    @Test
    void optionsAreParsed() {
        MountOptions o = withOptions("nodelalloc,data=writeback").parsedMountOptions();
        assertThat(o.delalloc()).isFalse();
        assertThat(o.data()).isEqualTo(MountOptions.DataMode.WRITEBACK);
    }

    @Test
    void aBadCombinationIsRefusedAtBinding() {
        assertThatThrownBy(() -> withOptions("data=journal,delalloc"))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL))
                .hasMessageStartingWith("EINVAL: can't mount with both data=journal and delalloc");
    }
}
