package dev.ext4sim.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ErrnoTest {

    @Test
    void numbersAreLinuxX8664s() {
        assertThat(Errno.ENOENT.code()).isEqualTo(2);
        assertThat(Errno.EIO.code()).isEqualTo(5);
        assertThat(Errno.ENOSPC.code()).isEqualTo(28);
        assertThat(Errno.ENOSYS.code()).isEqualTo(38);
        assertThat(Errno.EPROTO.code()).isEqualTo(71);
        assertThat(Errno.EBADMSG.code()).isEqualTo(74);
        assertThat(Errno.ETIMEDOUT.code()).isEqualTo(110);
        assertThat(Errno.EUCLEAN.code()).isEqualTo(117);
        assertThat(Errno.ETIMEDOUT.strerror()).isEqualTo("Connection timed out");
        assertThat(Arrays.stream(Errno.values()).map(Errno::code).distinct().count()).isEqualTo(Errno.values().length);
    }

    @Test
    void byName() {
        assertThat(Errno.byName("EROFS")).contains(Errno.EROFS);
        assertThat(Errno.byName("erofs")).isEmpty();
        assertThat(Errno.byName(null)).isEmpty();
    }

    @Test
    void anErrnoExceptionNamesItsErrnoAndDetail() {
        ErrnoException e = new ErrnoException(Errno.EBADF, "fd 3 is not open");

        assertThat(e).hasMessage("EBADF: fd 3 is not open");
        assertThat(e.errno()).isEqualTo(Errno.EBADF);
        assertThat(e.detail()).isEqualTo("fd 3 is not open");
        assertThatThrownBy(() -> new ErrnoException(Errno.EIO, null)).isInstanceOf(NullPointerException.class);
    }
}
