package dev.ext4sim.gateway;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * Every failure leaves the gateway as application/problem+json with the errno's name and number, e.g.
 * {"errno":"EBADF","code":9,"detail":"fd 7 is not open"}: never a stack trace.
 */
@RestControllerAdvice
class ErrnoProblems {
    private static final Logger log = LoggerFactory.getLogger(ErrnoProblems.class);

    @ExceptionHandler(ErrnoException.class)
    ResponseEntity<ProblemDetail> errno(ErrnoException e) {
        return problem(e.errno(), e.detail());
    }

    @ExceptionHandler({HttpMessageNotReadableException.class, MissingServletRequestParameterException.class,
            MethodArgumentTypeMismatchException.class, HttpMediaTypeNotSupportedException.class})
    ResponseEntity<ProblemDetail> badInput(Exception e) {
        return problem(Errno.EINVAL, firstLine(e.getMessage()));
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    ResponseEntity<ProblemDetail> badMethod(HttpRequestMethodNotSupportedException e) {
        return problem(Errno.EINVAL, e.getMessage() + "; see /swagger-ui.html for the calls");
    }

    /** No such call: ENOSYS, as the kernel answers an unknown system call, with the 404 an HTTP client expects. */
    @ExceptionHandler(NoResourceFoundException.class)
    ResponseEntity<ProblemDetail> noSuchCall(NoResourceFoundException e) {
        return problem(Errno.ENOSYS, HttpStatus.NOT_FOUND, "no call at /" + e.getResourcePath()
                + "; see /swagger-ui.html for the calls");
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        log.error("unexpected failure", e);
        return problem(Errno.EIO, "the gateway failed unexpectedly (" + e.getClass().getSimpleName()
                + "); its log has the details: .ext4sim/logs/gateway.log");
    }

    static ResponseEntity<ProblemDetail> problem(Errno errno, String detail) {
        return problem(errno, statusOf(errno), detail);
    }

    static ResponseEntity<ProblemDetail> problem(Errno errno, HttpStatus status, String detail) {
        ProblemDetail body = ProblemDetail.forStatusAndDetail(status, detail);
        body.setTitle(errno.strerror());
        body.setProperty("errno", errno.name());
        body.setProperty("code", errno.code());
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(body);
    }

    static HttpStatus statusOf(Errno errno) {
        return switch (errno) {
            case ENOENT -> HttpStatus.NOT_FOUND;
            case EPERM, EACCES, EROFS -> HttpStatus.FORBIDDEN;
            case EEXIST, EBUSY, ENOTEMPTY -> HttpStatus.CONFLICT;
            case ENOSPC -> HttpStatus.INSUFFICIENT_STORAGE;
            case EFBIG -> HttpStatus.CONTENT_TOO_LARGE;
            case ENOSYS -> HttpStatus.NOT_IMPLEMENTED;
            case ETIMEDOUT -> HttpStatus.GATEWAY_TIMEOUT;
            case EIO, EPROTO, EBADMSG, EHOSTDOWN, ECONNREFUSED -> HttpStatus.BAD_GATEWAY;
            case EAGAIN -> HttpStatus.SERVICE_UNAVAILABLE;
            default -> HttpStatus.BAD_REQUEST;
        };
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "bad request";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
