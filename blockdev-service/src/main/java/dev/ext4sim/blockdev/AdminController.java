package dev.ext4sim.blockdev;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** REST for the device's admin: status, faults, power cut. The same actions as the blk_admin bus call. */
@RestController
class AdminController {
    private final Blockdev blockdev;
    private final PowerCut powerCut;
    private final LogWritesControl logWrites;

    AdminController(Blockdev blockdev, PowerCut powerCut, LogWritesControl logWrites) {
        this.blockdev = blockdev;
        this.powerCut = powerCut;
        this.logWrites = logWrites;
    }

    @GetMapping("/v1/blockdev")
    BlockIo.AdminReply status() {
        return blockdev.admin(BlockIo.Admin.of("status"));
    }

    @GetMapping("/v1/blockdev/faults")
    BlockIo.AdminReply faults() {
        return blockdev.admin(BlockIo.Admin.of("list_faults"));
    }

    @PostMapping(value = "/v1/blockdev/faults", consumes = MediaType.APPLICATION_JSON_VALUE)
    BlockIo.AdminReply addFault(@RequestBody BlockIo.Fault fault) {
        return blockdev.admin(new BlockIo.Admin("add_fault", fault));
    }

    @DeleteMapping("/v1/blockdev/faults")
    BlockIo.AdminReply clearFaults() {
        return blockdev.admin(BlockIo.Admin.of("clear_faults"));
    }

    @PostMapping("/v1/blockdev/power-cut")
    ResponseEntity<Map<String, Object>> powerCut() {
        int lost = powerCut.cut();
        return ResponseEntity.accepted().body(Map.of("lost_blocks", lost,
                "detail", "the volatile write cache is gone and blockdev-service exits; ./ext4sim start blockdev-service"));
    }

    /** dm-log-writes: the disk as it is now, then every write in the order it becomes durable. */
    @PostMapping("/v1/blockdev/log-writes")
    LogWritesControl.Status startLogWrites() {
        return logWrites.start();
    }

    @GetMapping("/v1/blockdev/log-writes")
    LogWritesControl.Status logWrites() {
        return logWrites.status();
    }

    /** A mark in the log ({@code dmsetup message DEV 0 mark TEXT}). */
    @PostMapping(value = "/v1/blockdev/log-writes/mark", consumes = MediaType.APPLICATION_JSON_VALUE)
    LogWritesControl.Status mark(@RequestBody Mark mark) {
        return logWrites.mark(mark.mark());
    }

    @DeleteMapping("/v1/blockdev/log-writes")
    LogWritesControl.Status stopLogWrites() {
        return logWrites.stop();
    }

    record Mark(String mark) {
    }

    /** Errors as application/problem+json with the errno, as the gateway answers them. */
    @RestControllerAdvice
    static class Problems {
        @ExceptionHandler(ErrnoException.class)
        ResponseEntity<ProblemDetail> errno(ErrnoException e) {
            return problem(e.errno(), e.detail());
        }

        @ExceptionHandler(HttpMessageNotReadableException.class)
        ResponseEntity<ProblemDetail> unreadable(HttpMessageNotReadableException e) {
            return problem(Errno.EINVAL, "the body is not JSON this call takes: a fault is like {\"kind\":\"eio\","
                    + "\"op\":\"WRITE\",\"fromSector\":0,\"toSector\":8}, a mark like {\"mark\":\"op 17\"}");
        }

        static ResponseEntity<ProblemDetail> problem(Errno errno, String detail) {
            HttpStatus status = switch (errno) {
                case EINVAL -> HttpStatus.BAD_REQUEST;
                case EAGAIN -> HttpStatus.SERVICE_UNAVAILABLE;
                case ENOENT -> HttpStatus.NOT_FOUND;
                case EBUSY -> HttpStatus.CONFLICT;
                default -> HttpStatus.INTERNAL_SERVER_ERROR;
            };
            ProblemDetail body = ProblemDetail.forStatusAndDetail(status, detail);
            body.setTitle(errno.strerror());
            body.setProperty("errno", errno.name());
            body.setProperty("code", errno.code());
            return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(body);
        }
    }
}
