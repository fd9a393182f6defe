package dev.ext4sim.gateway;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.FtraceLayout;
import dev.ext4sim.bus.trace.FtraceRenderer;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.bus.trace.diff.FtraceLine;
import dev.ext4sim.bus.trace.diff.TraceDiff;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * POST /v1/trace/diff: a real kernel's trace (the text of /sys/kernel/tracing/trace or of trace-cmd report) held
 * against ours of the same workload, task by task (docs/fidelity.md).
 */
@RestController
class TraceDiffController {
    private final TraceStore store;

    TraceDiffController(TraceStore store) {
        this.store = store;
    }

    @Operation(summary = "Recall and precision per task of our trace against a real kernel's, with the divergences side by side")
    @PostMapping(value = "/v1/trace/diff", consumes = MediaType.TEXT_PLAIN_VALUE)
    ResponseEntity<?> diff(
            @RequestBody String real,
            @Parameter(description = "ours: only events at or after this trace timestamp, in seconds") @RequestParam(required = false) String since,
            @Parameter(description = "ours: only events caused by the REST call with this X-Trace-Id") @RequestParam(required = false) String trace,
            @Parameter(description = "compare the matched events' fields too (numbers masked)") @RequestParam(defaultValue = "false") boolean fields,
            @Parameter(description = "the comms of the programs, comma-separated (default: the tasks that enter ext4's write or fsync)") @RequestParam(required = false) String writers,
            @Parameter(description = "subsystems compared, comma-separated (default ext4,jbd2,writeback,block; 'all' for every one)") @RequestParam(required = false) String systems,
            @Parameter(description = "alike events shown around a divergence") @RequestParam(defaultValue = "2") int context,
            @Parameter(description = "rows of side-by-side per task at most") @RequestParam(defaultValue = "80") int rows,
            @Parameter(description = "text (default) or json") @RequestParam(defaultValue = "text") String format,
            HttpServletRequest request) {
        List<FtraceLine> theirs = TraceDiff.parse(real);
        if (theirs.isEmpty()) {
            throw new ErrnoException(Errno.EINVAL, "the body holds no ftrace event line; send the text of "
                    + "/sys/kernel/tracing/trace (or trace-cmd report) as text/plain");
        }
        if (context < 0 || rows < 1) {
            throw new ErrnoException(Errno.EINVAL, "context must be 0 or more and rows 1 or more");
        }
        Predicate<TraceEvent> filter = e -> true;
        if (since != null) {
            long from = TraceController.parseSince(since);
            filter = filter.and(e -> e.timestampNanos() >= from);
        }
        if (trace != null) {
            filter = filter.and(e -> trace.equals(e.traceId()));
        }
        store.catchUp(Duration.ofSeconds(2), CallerTask.of(request));
        FtraceRenderer renderer = new FtraceRenderer(FtraceLayout.KERNEL_6X);
        List<FtraceLine> ours = store.select(filter).stream()
                .map(e -> FtraceLine.parse(renderer.line(e)).orElse(null)).filter(l -> l != null).toList();
        TraceDiff.Options options = new TraceDiff.Options(systems == null ? TraceDiff.SYSTEMS
                : systems.equals("all") ? Set.of() : list(systems), writers == null ? Set.of() : list(writers), fields,
                context, rows);
        TraceDiff.Result result = TraceDiff.diff(theirs, ours, options);
        return switch (format) {
            case "text" -> ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(result.render());
            case "json" -> ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(TraceDiff.numbers(result));
            default -> throw new ErrnoException(Errno.EINVAL, "format must be text or json, not '" + format + "'");
        };
    }

    private static Set<String> list(String s) {
        return Arrays.stream(s.split(",")).map(String::strip).filter(x -> !x.isEmpty()).collect(Collectors.toSet());
    }
}
