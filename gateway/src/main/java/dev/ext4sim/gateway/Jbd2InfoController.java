package dev.ext4sim.gateway;

import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.bus.trace.TraceContext;
import io.swagger.v3.oas.annotations.Operation;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Duration;
import java.util.function.BiFunction;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * GET /v1/jbd2/info: the text of /proc/fs/jbd2/sda1-8/info, asked of jbd2-service (its INFO call) and rendered
 * there from the live journal's statistics. Before ext4 mounted the filesystem the file does not exist: ENOENT.
 */
@RestController
class Jbd2InfoController {
    private final BiFunction<Jbd2Calls.Info, TraceContext, Jbd2Calls.InfoText> info;

    @Autowired
    Jbd2InfoController(CallClient client, @Value("${ext4sim.call-timeout:5s}") Duration timeout) {
        this((request, trace) -> client.invoke(Jbd2Calls.SERVICE, Jbd2Calls.INFO, request, timeout, trace));
    }

    Jbd2InfoController(BiFunction<Jbd2Calls.Info, TraceContext, Jbd2Calls.InfoText> info) {
        this.info = info;
    }

    @Operation(summary = "The journal's statistics as /proc/fs/jbd2/sda1-8/info shows them")
    @GetMapping(value = "/v1/jbd2/info", produces = MediaType.TEXT_PLAIN_VALUE)
    String info(HttpServletRequest request, HttpServletResponse response) {
        TraceContext trace = TraceContext.of(CallerTask.of(request));
        response.setHeader(TraceController.TRACE_ID_HEADER, trace.traceId());
        return info.apply(new Jbd2Calls.Info("sda1"), trace).text();
    }
}
