package dev.ext4sim.gateway;

import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.writeback.WritebackCalls;
import io.swagger.v3.oas.annotations.Operation;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** GET and PUT /v1/sysctl/{name}: the vm.dirty_* settings of writeback, as /proc/sys/vm reads and writes them. */
@RestController
class SysctlController {
    private final CallClient client;
    private final Duration timeout;

    SysctlController(CallClient client, @Value("${ext4sim.call-timeout:5s}") Duration timeout) {
        this.client = client;
        this.timeout = timeout;
    }

    @Operation(summary = "Read a setting, e.g. vm.dirty_expire_centisecs")
    @GetMapping("/v1/sysctl/{name}")
    WritebackCalls.SysctlValue get(@PathVariable String name, HttpServletRequest request) {
        return call(new WritebackCalls.Sysctl(name, null), request);
    }

    @Operation(summary = "Change a setting while the system runs; the body is the value, as echo writes it to /proc/sys")
    @PutMapping(value = "/v1/sysctl/{name}", consumes = MediaType.ALL_VALUE)
    WritebackCalls.SysctlValue put(@PathVariable String name, @RequestBody String value, HttpServletRequest request) {
        return call(new WritebackCalls.Sysctl(name, value.trim()), request);
    }

    private WritebackCalls.SysctlValue call(WritebackCalls.Sysctl q, HttpServletRequest request) {
        return client.invoke(WritebackCalls.SERVICE, WritebackCalls.SYSCTL, q, timeout, TraceContext.of(CallerTask.of(request)));
    }
}
