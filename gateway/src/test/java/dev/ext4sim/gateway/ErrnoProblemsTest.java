package dev.ext4sim.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

class ErrnoProblemsTest {

    @Test
    void anErrnoBecomesProblemJsonWithItsNameAndNumber() {
        ResponseEntity<ProblemDetail> r = new ErrnoProblems().errno(new ErrnoException(Errno.EBADF, "fd 7 is not open"));
        assertThat(r.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(r.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
        assertThat(r.getBody().getDetail()).isEqualTo("fd 7 is not open");
        assertThat(r.getBody().getProperties()).containsEntry("errno", "EBADF").containsEntry("code", 9);
    }

    @Test
    void statusesFollowTheErrno() {
        assertThat(ErrnoProblems.statusOf(Errno.ENOENT)).isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(ErrnoProblems.statusOf(Errno.ETIMEDOUT)).isEqualTo(HttpStatus.GATEWAY_TIMEOUT);
        assertThat(ErrnoProblems.statusOf(Errno.EIO)).isEqualTo(HttpStatus.BAD_GATEWAY);
        assertThat(ErrnoProblems.statusOf(Errno.ENOSPC)).isEqualTo(HttpStatus.INSUFFICIENT_STORAGE);
        assertThat(ErrnoProblems.statusOf(Errno.EINVAL)).isEqualTo(HttpStatus.BAD_REQUEST);
    }

    @Test
    void anUnexpectedFailureIsEioWithoutItsStackTrace() {
        ResponseEntity<ProblemDetail> r = new ErrnoProblems().unexpected(new IllegalStateException("boom"));
        assertThat(r.getBody().getProperties()).containsEntry("errno", "EIO");
        assertThat(r.getBody().getDetail()).doesNotContain("at dev.ext4sim").contains("log");
    }

    @Test
    void sinceIsReadAsTraceSeconds() {
        assertThat(TraceController.parseSince("105.123456")).isEqualTo(105_123_456_000L);
        assertThat(TraceController.parseSince("0")).isZero();
    }

    @Test
    void aBadSinceIsEinval() {
        for (String bad : new String[] {"yesterday", "-1", "1e400"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> TraceController.parseSince(bad))
                    .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        }
    }
}
