package dev.ext4sim.bus.spring;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.crash.CrashPoints;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The service's crash points over REST: {@code GET /v1/crash-points} lists them and what is armed,
 * {@code POST} arms one ({@code {"point":"jbd2_commit_locked","nth":1}} or {@code "probability":0.1}),
 * {@code DELETE} disarms one or all.
 */
@RestController
public class CrashPointsController {
    record ArmRequest(String point, Long nth, Double probability) {
    }

    record Listing(List<CrashPoints.Point> points, List<CrashPoints.Armed> armed) {
    }

    private final CrashPoints crashPoints;

    public CrashPointsController(CrashPoints crashPoints) {
        this.crashPoints = crashPoints;
    }

    @GetMapping("/v1/crash-points")
    Listing list() {
        return new Listing(crashPoints.points(), crashPoints.armed());
    }

    @PostMapping(value = "/v1/crash-points", consumes = MediaType.APPLICATION_JSON_VALUE)
    CrashPoints.Armed arm(@RequestBody ArmRequest request) {
        return crashPoints.arm(request.point(), request.nth(), request.probability());
    }

    @DeleteMapping("/v1/crash-points")
    Listing disarmAll() {
        crashPoints.disarmAll();
        return list();
    }

    @DeleteMapping("/v1/crash-points/{point}")
    Listing disarm(@PathVariable String point) {
        crashPoints.disarm(point);
        return list();
    }

    @ExceptionHandler(ErrnoException.class)
    ResponseEntity<ProblemDetail> refused(ErrnoException e) {
        return problem(e.errno(), e.detail());
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<ProblemDetail> unreadable(HttpMessageNotReadableException e) {
        return problem(Errno.EINVAL, "the body is not an arming: send JSON like {\"point\":\"...\",\"nth\":1}");
    }

    private static ResponseEntity<ProblemDetail> problem(Errno errno, String detail) {
        ProblemDetail body = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, detail);
        body.setTitle(errno.strerror());
        body.setProperty("errno", errno.name());
        body.setProperty("code", errno.code());
        return ResponseEntity.badRequest().contentType(MediaType.APPLICATION_PROBLEM_JSON).body(body);
    }
}
