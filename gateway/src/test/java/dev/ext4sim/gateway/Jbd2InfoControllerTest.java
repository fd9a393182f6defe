package dev.ext4sim.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.trace.TraceContext;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** GET /v1/jbd2/info passes jbd2-service's text through, as the caller's task, and its errno as problem+json. */
class Jbd2InfoControllerTest {
    static final String TEXT = "3 transactions (2 requested), each up to 2048 blocks\naverage: \n"
            + "  0ms waiting for transaction\n  4ms request delay\n  1668ms running transaction\n"
            + "  0ms transaction was being locked\n  0ms flushing data (in ordered mode)\n  8ms logging transaction\n"
            + "  6125us average transaction commit time\n  5 handles per transaction\n  6 blocks per transaction\n"
            + "  9 logged blocks per transaction\n";

    @Test
    void theProcTextOfTheLiveJournalIsAnsweredAsIs() {
        List<TraceContext> asked = new ArrayList<>();
        Jbd2InfoController c = new Jbd2InfoController((request, trace) -> {
            assertThat(request.dev()).isEqualTo("sda1");
            asked.add(trace);
            return new Jbd2Calls.InfoText("/proc/fs/jbd2/sda1-8/info", TEXT);
        });
        MockHttpServletRequest request = new MockHttpServletRequest();
        request.addHeader("X-Comm", "cat");
        request.addHeader("X-Pid", "4321");
        MockHttpServletResponse response = new MockHttpServletResponse();

        assertThat(c.info(request, response)).isEqualTo(TEXT);
        assertThat(asked).singleElement().satisfies(t -> assertThat(t.task().comm()).isEqualTo("cat"));
        assertThat(response.getHeader(TraceController.TRACE_ID_HEADER)).isEqualTo(asked.getFirst().traceId());
    }

    @Test
    void anUnmountedJournalIsEnoentAsProblemJson() {
        Jbd2InfoController c = new Jbd2InfoController((request, trace) -> {
            throw new ErrnoException(Errno.ENOENT, "/proc/fs/jbd2/sda1-8/info does not exist: the journal of sda1 is not loaded");
        });
        assertThatThrownBy(() -> c.info(new MockHttpServletRequest(), new MockHttpServletResponse()))
                .isInstanceOfSatisfying(ErrnoException.class, e -> {
                    var problem = new ErrnoProblems().errno(e);
                    assertThat(problem.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
                    assertThat(problem.getBody().getProperties()).containsEntry("errno", "ENOENT");
                });
    }
}
