package dev.ext4sim.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.call.Topics;
import dev.ext4sim.bus.testing.InMemoryTransport;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.vfs.VfsAioCalls;
import dev.ext4sim.bus.vfs.VfsCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;

/** io_submit and io_getevents as REST, over a bus whose vfs-service is a stub that records what it was asked. */
class AioControllerTest {
    final List<Object> asked = new ArrayList<>();
    final List<TraceContext> tasks = new ArrayList<>();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MockMvc mvc;

    @BeforeEach
    void setUp() {
        ManualClock clock = new ManualClock();
        InMemoryTransport transport = new InMemoryTransport();
        CallClient client = new CallClient(Topics.replies("gateway"), transport, clock, clock, s -> Optional.of(true), Runnable::run);
        CallServer vfs = new CallServer(VfsCalls.SERVICE, transport, clock, Runnable::run)
                .register(VfsAioCalls.IO_SUBMIT, (q, ctx) -> {
                    asked.add(q);
                    tasks.add(ctx.trace());
                    if (q.fd() == 9) {
                        throw new ErrnoException(Errno.EBADF, "fd 9 is not open");
                    }
                    if (q.offset() % 4096 != 0) {
                        throw new ErrnoException(Errno.EINVAL, "O_DIRECT write at " + q.offset() + " is not aligned");
                    }
                    return new VfsAioCalls.Submitted(41);
                })
                .register(VfsAioCalls.IO_GETEVENTS, (q, ctx) -> {
                    asked.add(q);
                    tasks.add(ctx.trace());
                    return new VfsAioCalls.Events(List.of(new VfsAioCalls.Event(41, 3, 8192), new VfsAioCalls.Event(42, 3, -5)));
                });
        transport.routeCalls(VfsCalls.SERVICE, vfs).routeReplies("gateway", client);
        mvc = MockMvcBuilders.standaloneSetup(new AioController(client, Duration.ofSeconds(5), registry))
                .setControllerAdvice(new ErrnoProblems()).addFilters(new WriteBodyFilter()).build();
    }

    @Test
    void submitAnswersTheIdAndGeteventsTheCompletions() throws Exception {
        byte[] data = new byte[8192];
        mvc.perform(post("/v1/fds/3/io_submit?offset=16384").header("X-Comm", "test-aio").header("X-Pid", "4250")
                        .contentType(MediaType.APPLICATION_OCTET_STREAM).content(data))
                .andExpect(status().isOk()).andExpect(jsonPath("$.id").value(41)).andExpect(header().exists("X-Trace-Id"));
        mvc.perform(get("/v1/io_getevents?min_nr=1&nr=8&timeout_ms=1000").header("X-Comm", "test-aio").header("X-Pid", "4250"))
                .andExpect(status().isOk())
                .andExpect(content().json("{\"events\":[{\"id\":41,\"fd\":3,\"res\":8192},{\"id\":42,\"fd\":3,\"res\":-5}]}"));
        assertThat(asked).containsExactly(new VfsAioCalls.IoSubmit(3, 16384, data), new VfsAioCalls.GetEvents(1, 8, 1000));
        assertThat(tasks).allSatisfy(t -> assertThat(t.task().toString()).isEqualTo("test-aio-4250"));
        assertThat(registry.get(SyscallLatency.NAME).tags("call", "io_submit", "errno", "0").timer().count()).isEqualTo(1);
        assertThat(registry.get(SyscallLatency.NAME).tags("call", "io_getevents", "errno", "0").timer().count()).isEqualTo(1);
    }

    @Test
    void aFormEncodedSubmitCarriesItsBodyAsItIs() throws Exception {
        mvc.perform(post("/v1/fds/3/io_submit?offset=0").content("a=b&c").contentType(MediaType.APPLICATION_FORM_URLENCODED))
                .andExpect(status().isOk());
        assertThat(asked).containsExactly(new VfsAioCalls.IoSubmit(3, 0, "a=b&c".getBytes()));
    }

    @Test
    void geteventsDefaultsToOneToAllWithoutWaiting() throws Exception {
        mvc.perform(get("/v1/io_getevents")).andExpect(status().isOk());
        assertThat(asked).containsExactly(new VfsAioCalls.GetEvents(1, 256, 0));
    }

    @Test
    void errorsFromVfsAreProblemJson() throws Exception {
        mvc.perform(post("/v1/fds/9/io_submit?offset=0").content(new byte[4096]).contentType(MediaType.APPLICATION_OCTET_STREAM))
                .andExpect(status().isBadRequest()).andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.errno").value("EBADF"));
        mvc.perform(post("/v1/fds/3/io_submit?offset=512").content(new byte[4096]).contentType(MediaType.APPLICATION_OCTET_STREAM))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.errno").value("EINVAL"));
    }

    @Test
    void badInputIsEinvalAndNeverReachesVfs() throws Exception {
        mvc.perform(post("/v1/fds/3/io_submit").content(new byte[4096]).contentType(MediaType.APPLICATION_OCTET_STREAM))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.errno").value("EINVAL"));
        mvc.perform(post("/v1/fds/3/io_submit?offset=-4096").content(new byte[4096]).contentType(MediaType.APPLICATION_OCTET_STREAM))
                .andExpect(jsonPath("$.errno").value("EINVAL"));
        mvc.perform(get("/v1/io_getevents?min_nr=4&nr=2")).andExpect(jsonPath("$.errno").value("EINVAL"));
        mvc.perform(get("/v1/io_getevents?min_nr=-1")).andExpect(jsonPath("$.errno").value("EINVAL"));
        mvc.perform(get("/v1/io_getevents?timeout_ms=-1")).andExpect(jsonPath("$.errno").value("EINVAL"));
        mvc.perform(get("/v1/io_getevents?timeout_ms=20001")).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errno").value("EINVAL"))
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("20000")));
        mvc.perform(get("/v1/io_getevents?timeout_ms=soon")).andExpect(jsonPath("$.errno").value("EINVAL"));
        assertThat(asked).isEmpty();
    }
}
