package dev.ext4sim.gateway;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.vfs.VfsAioCalls;
import dev.ext4sim.bus.vfs.VfsCalls;
import io.micrometer.core.instrument.MeterRegistry;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Duration;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Asynchronous I/O as REST: io_submit of one pwrite, which answers at submission with the iocb's id, and
 * io_getevents, which reaps completions of the calling process's io context (X-Comm, X-Pid). Both go to vfs-service
 * as they are; the checks here are of the request's own shape.
 */
@RestController
class AioController {
    /** The longest io_getevents wait: well inside the call's deadline (vfs-service's ext4sim.aio.max-wait). */
    static final long MAX_TIMEOUT_MS = 20_000;

    private final CallClient client;
    private final Duration timeout;
    private final SyscallLatency latency;

    AioController(CallClient client, @Value("${ext4sim.syscall-timeout:30s}") Duration timeout, MeterRegistry registry) {
        this.client = client;
        this.timeout = timeout;
        this.latency = new SyscallLatency(registry);
    }

    record SubmittedReply(long id) {
    }

    record EventReply(long id, int fd, long res) {
    }

    record EventsReply(List<EventReply> events) {
    }

    @Operation(summary = "io_submit(2) of one pwrite at ?offset=N: the body is the raw bytes; answers the iocb's id at"
            + " submission, its result comes from io_getevents")
    @PostMapping(value = "/v1/fds/{fd}/io_submit", consumes = MediaType.ALL_VALUE)
    SubmittedReply ioSubmit(@PathVariable int fd,
                            @Parameter(description = "the iocb's aio_offset: where the bytes go") @RequestParam long offset,
                            @RequestBody(required = false) byte[] data, HttpServletRequest request,
                            HttpServletResponse response) {
        byte[] bytes = data == null ? new byte[0] : data;
        if (bytes.length > FileController.MAX_IO) {
            throw new ErrnoException(Errno.EINVAL, "one REST io_submit carries at most " + (FileController.MAX_IO >> 20)
                    + " MiB, this one " + bytes.length + " bytes; submit the data as several iocbs");
        }
        if (offset < 0) {
            throw new ErrnoException(Errno.EINVAL, "offset " + offset + " is negative");
        }
        return new SubmittedReply(call("io_submit", VfsAioCalls.IO_SUBMIT, new VfsAioCalls.IoSubmit(fd, offset, bytes),
                request, response).id());
    }

    @Operation(summary = "io_getevents(2): from min_nr to nr completions of the calling process's iocbs, waiting up to"
            + " timeout_ms for min_nr; res is the bytes written or a negative errno")
    @GetMapping("/v1/io_getevents")
    EventsReply ioGetevents(@Parameter(description = "wait until this many events are there (or the timeout)")
                            @RequestParam(name = "min_nr", defaultValue = "1") int minNr,
                            @Parameter(description = "answer at most this many events")
                            @RequestParam(name = "nr", defaultValue = "256") int nr,
                            @Parameter(description = "the longest wait for min_nr events, 0 to 20000 ms; 0 takes what is there")
                            @RequestParam(name = "timeout_ms", defaultValue = "0") long timeoutMs,
                            HttpServletRequest request, HttpServletResponse response) {
        if (minNr < 0 || nr < 0 || minNr > nr) {
            throw new ErrnoException(Errno.EINVAL, "min_nr " + minNr + " and nr " + nr + " must satisfy 0 <= min_nr <= nr");
        }
        if (timeoutMs < 0 || timeoutMs > MAX_TIMEOUT_MS) {
            throw new ErrnoException(Errno.EINVAL, "timeout_ms must be from 0 to " + MAX_TIMEOUT_MS + ", not " + timeoutMs);
        }
        VfsAioCalls.Events e = call("io_getevents", VfsAioCalls.IO_GETEVENTS,
                new VfsAioCalls.GetEvents(minNr, nr, timeoutMs), request, response);
        return new EventsReply(e.events().stream().map(v -> new EventReply(v.id(), v.fd(), v.res())).toList());
    }

    private <Q, R> R call(String syscall, CallType<Q, R> type, Q q, HttpServletRequest request,
                          HttpServletResponse response) {
        TraceContext trace = TraceContext.of(CallerTask.of(request));
        response.setHeader(TraceController.TRACE_ID_HEADER, trace.traceId());
        return latency.time(syscall, () -> client.invoke(VfsCalls.SERVICE, type, q, timeout, trace));
    }
}
