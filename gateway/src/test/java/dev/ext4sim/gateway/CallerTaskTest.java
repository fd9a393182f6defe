package dev.ext4sim.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.Task;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

class CallerTaskTest {

    @Test
    void theCallerNamesItsTask() {
        MockHttpServletRequest r = new MockHttpServletRequest();
        r.addHeader("X-Comm", "demo");
        r.addHeader("X-Pid", "1234");
        assertThat(CallerTask.of(r)).isEqualTo(new Task("demo", 1234));
    }

    @Test
    void withoutHeadersTheUserAgentNamesItAndThePidIsStable() {
        MockHttpServletRequest r = new MockHttpServletRequest();
        r.addHeader("User-Agent", "curl/8.5.0");
        Task task = CallerTask.of(r);
        assertThat(task.comm()).isEqualTo("curl");
        assertThat(CallerTask.of(r).pid()).isEqualTo(task.pid()).isBetween(1000, 31000);
    }

    @Test
    void aLongCommIsCutToFifteenCharactersAsTheKernelDoes() {
        MockHttpServletRequest r = new MockHttpServletRequest();
        r.addHeader("X-Comm", "a-very-long-program-name");
        assertThat(CallerTask.of(r).comm()).isEqualTo("a-very-long-pro");
    }

    @Test
    void aBadPidIsEinval() {
        for (String pid : new String[] {"abc", "0", "-5", "99999999"}) {
            MockHttpServletRequest r = new MockHttpServletRequest();
            r.addHeader("X-Pid", pid);
            assertThatThrownBy(() -> CallerTask.of(r)).isInstanceOfSatisfying(ErrnoException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        }
    }
}
