package dev.ext4sim.gateway;

import dev.ext4sim.bus.ping.Ping;
import dev.ext4sim.bus.ping.PingService;
import dev.ext4sim.bus.trace.TraceContext;
import io.swagger.v3.oas.annotations.Operation;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Duration;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** GET /v1/ping: crosses gateway → vfs → ext4 → jbd2 → blockdev and shows every hop with its latency. */
@RestController
class PingController {
    private final PingService ping;
    private final Duration timeout;

    PingController(PingService ping, @Value("${ext4sim.call-timeout:5s}") Duration timeout) {
        this.ping = ping;
        this.timeout = timeout;
    }

    record PingResponse(String traceId, long totalUs, List<Ping.Hop> hops) {
    }

    @Operation(summary = "Cross every service on the write path and report each hop's latency")
    @GetMapping("/v1/ping")
    PingResponse ping(HttpServletRequest request, HttpServletResponse response) {
        TraceContext trace = TraceContext.of(CallerTask.of(request));
        response.setHeader(TraceController.TRACE_ID_HEADER, trace.traceId());
        Ping.Reply reply = ping.ping(0, trace, timeout);
        return new PingResponse(trace.traceId(), reply.hops().getFirst().handledUs(), reply.hops());
    }
}
