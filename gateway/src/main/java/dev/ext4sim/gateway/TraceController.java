package dev.ext4sim.gateway;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.FtraceLayout;
import dev.ext4sim.bus.trace.FtraceRenderer;
import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.bus.trace.Tracer;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import jakarta.servlet.http.HttpServletRequest;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** GET /v1/trace: the tracepoints every service emitted, as /sys/kernel/tracing/trace text or as JSON. */
@RestController
class TraceController {
    static final String TRACE_ID_HEADER = "X-Trace-Id";

    private final TraceStore store;
    private final KernelProfile profile;

    TraceController(TraceStore store, Tracer tracer) {
        this.store = store;
        this.profile = tracer.profile();
    }

    @Operation(summary = "The tracepoints, in ftrace's text format (default) or as JSON")
    @GetMapping(value = "/v1/trace")
    ResponseEntity<?> trace(
            @Parameter(description = "ftrace (text/plain) or json") @RequestParam(defaultValue = "ftrace") String format,
            @Parameter(description = "only events at or after this trace timestamp, in seconds (e.g. 105.123456)")
            @RequestParam(required = false) String since,
            @Parameter(description = "only events of tasks whose comm starts with this") @RequestParam(required = false) String task,
            @Parameter(description = "only events caused by the REST call with this X-Trace-Id") @RequestParam(required = false) String trace,
            @Parameter(description = "line layout: 4.x or 6.x (default: the stack's ext4sim.kernel)") @RequestParam(required = false) String layout,
            HttpServletRequest request) {
        Predicate<TraceEvent> filter = e -> true;
        if (since != null) {
            long from = parseSince(since);
            filter = filter.and(e -> e.timestampNanos() >= from);
        }
        if (task != null) {
            filter = filter.and(e -> e.comm().startsWith(task));
        }
        if (trace != null) {
            filter = filter.and(e -> trace.equals(e.traceId()));
        }
        FtraceLayout lines = layout == null ? profile.layout() : switch (layout) {
            case "4.x", "4" -> FtraceLayout.KERNEL_4X;
            case "6.x", "6" -> FtraceLayout.KERNEL_6X;
            default -> throw new ErrnoException(Errno.EINVAL, "layout must be 4.x or 6.x, not '" + layout + "'");
        };
        store.catchUp(Duration.ofSeconds(2), CallerTask.of(request));
        List<TraceEvent> events = store.select(filter);
        return switch (format) {
            case "ftrace", "text" -> ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN)
                    .body(new FtraceRenderer(lines).render(events, store.written(), store.cpus()));
            case "json" -> ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON)
                    .body(events.stream().sorted(Comparator.comparingLong(TraceEvent::timestampNanos)).toList());
            default -> throw new ErrnoException(Errno.EINVAL, "format must be ftrace or json, not '" + format + "'");
        };
    }

    static long parseSince(String since) {
        try {
            BigDecimal seconds = new BigDecimal(since.trim());
            if (seconds.signum() < 0) {
                throw new NumberFormatException();
            }
            return seconds.movePointRight(9).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ErrnoException(Errno.EINVAL, "since must be a trace timestamp in seconds, like 105.123456, not '"
                    + since + "'");
        }
    }
}
