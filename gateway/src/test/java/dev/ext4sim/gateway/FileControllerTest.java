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

/** The REST shapes of DESIGN §8 over a bus whose vfs-service is a stub that records what it was asked. */
class FileControllerTest {
    final List<Object> asked = new ArrayList<>();
    final List<TraceContext> tasks = new ArrayList<>();
    MockMvc mvc;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void setUp() {
        ManualClock clock = new ManualClock();
        InMemoryTransport transport = new InMemoryTransport();
        CallClient client = new CallClient(Topics.replies("gateway"), transport, clock, clock, s -> Optional.of(true), Runnable::run);
        CallServer vfs = new CallServer(VfsCalls.SERVICE, transport, clock, Runnable::run)
                .register(VfsCalls.OPEN, (q, ctx) -> {
                    record(q, ctx.trace());
                    if (q.path().equals("/missing")) {
                        throw new ErrnoException(Errno.ENOENT, "/missing: no such file");
                    }
                    return new VfsCalls.Opened(3);
                })
                .register(VfsCalls.WRITE, (q, ctx) -> {
                    record(q, ctx.trace());
                    return new VfsCalls.Written(q.data().length);
                })
                .register(VfsCalls.READ, (q, ctx) -> {
                    record(q, ctx.trace());
                    return "hello world\n".getBytes();
                })
                .register(VfsCalls.FD, (q, ctx) -> {
                    record(q, ctx.trace());
                    if (q.fd() == 7) {
                        throw new ErrnoException(Errno.EBADF, "fd 7 is not open");
                    }
                    return new VfsCalls.Ret(0);
                })
                .register(VfsCalls.FTRUNCATE, (q, ctx) -> {
                    record(q, ctx.trace());
                    return new VfsCalls.Ret(0);
                })
                .register(VfsCalls.SYNC, (q, ctx) -> {
                    record(q, ctx.trace());
                    return new VfsCalls.Ret(0);
                })
                .register(VfsCalls.STAT, (q, ctx) -> new VfsCalls.Stat(12, 0100644, 1, 12, 8, 4096, 1, 2, 3, "sda1"))
                .register(VfsCalls.MKDIR, (q, ctx) -> {
                    record(q, ctx.trace());
                    if (q.path().equals("/logs")) {
                        return new VfsCalls.Ret(0);
                    }
                    throw new ErrnoException(Errno.EEXIST, q.path() + " exists");
                })
                .register(VfsCalls.UNLINK, (q, ctx) -> {
                    record(q, ctx.trace());
                    return new VfsCalls.Ret(0);
                });
        transport.routeCalls(VfsCalls.SERVICE, vfs).routeReplies("gateway", client);
        mvc = MockMvcBuilders.standaloneSetup(new FileController(client, Duration.ofSeconds(5), registry))
                .setControllerAdvice(new ErrnoProblems()).addFilters(new WriteBodyFilter()).build();
    }

    private void record(Object q, TraceContext trace) {
        asked.add(q);
        tasks.add(trace);
    }

    @Test
    void theSeedProgramAsCurlSendsIt() throws Exception {
        mvc.perform(post("/v1/open").header("X-Comm", "test-open-write").header("X-Pid", "4242")
                        .contentType(MediaType.APPLICATION_JSON)
                        .content("{\"path\":\"/hello\",\"flags\":[\"O_CREAT\",\"O_RDWR\"],\"mode\":\"0644\"}"))
                .andExpect(status().isOk()).andExpect(jsonPath("$.fd").value(3)).andExpect(header().exists("X-Trace-Id"));
        mvc.perform(post("/v1/fds/3/write").header("X-Comm", "test-open-write").header("X-Pid", "4242")
                        .contentType(MediaType.APPLICATION_OCTET_STREAM).content("hello world\n".getBytes()))
                .andExpect(status().isOk()).andExpect(jsonPath("$.written").value(12));
        mvc.perform(post("/v1/fds/3/fsync").header("X-Comm", "test-open-write").header("X-Pid", "4242"))
                .andExpect(status().isOk()).andExpect(jsonPath("$.ret").value(0));
        assertThat(asked).containsExactly(new VfsCalls.Open("/hello", List.of("O_CREAT", "O_RDWR"), 0644),
                new VfsCalls.Write(3, -1, "hello world\n".getBytes()), new VfsCalls.FdCall(3, VfsCalls.FSYNC));
        assertThat(tasks).allSatisfy(t -> assertThat(t.task().toString()).isEqualTo("test-open-write-4242"));
        for (String call : List.of("open", "write", "fsync")) {
            assertThat(registry.get(SyscallLatency.NAME).tags("call", call, "errno", "0").timer().count()).as(call).isEqualTo(1);
        }
    }

    @Test
    void aFormEncodedWriteWritesItsBodyAsItIs() throws Exception {
        // what `curl -d` and `--data-binary` send without a Content-Type of their own
        mvc.perform(post("/v1/fds/3/write?offset=6").content("a=b&c").contentType(MediaType.APPLICATION_FORM_URLENCODED))
                .andExpect(status().isOk()).andExpect(jsonPath("$.written").value(5));
        mvc.perform(post("/v1/fds/3/write").content("abc").contentType(MediaType.APPLICATION_FORM_URLENCODED))
                .andExpect(status().isOk()).andExpect(jsonPath("$.written").value(3));
        assertThat(asked).containsExactly(new VfsCalls.Write(3, 6, "a=b&c".getBytes()), new VfsCalls.Write(3, -1, "abc".getBytes()));
    }

    @Test
    void pwriteReadCloseSyncAndStat() throws Exception {
        mvc.perform(post("/v1/fds/3/write?offset=6").content("W".getBytes()).contentType(MediaType.APPLICATION_OCTET_STREAM))
                .andExpect(jsonPath("$.written").value(1));
        mvc.perform(get("/v1/fds/3/read?offset=0&length=12")).andExpect(content().bytes("hello world\n".getBytes()));
        mvc.perform(post("/v1/fds/3/fdatasync")).andExpect(jsonPath("$.ret").value(0));
        mvc.perform(post("/v1/fds/3/ftruncate").contentType(MediaType.APPLICATION_JSON).content("{\"length\":4}"))
                .andExpect(jsonPath("$.ret").value(0));
        mvc.perform(post("/v1/fds/3/close")).andExpect(jsonPath("$.ret").value(0));
        mvc.perform(post("/v1/sync")).andExpect(jsonPath("$.ret").value(0));
        mvc.perform(get("/v1/stat?path=/hello")).andExpect(jsonPath("$.inode").value(12))
                .andExpect(jsonPath("$.mode").value("0100644")).andExpect(jsonPath("$.size").value(12));
        assertThat(asked).containsExactly(new VfsCalls.Write(3, 6, "W".getBytes()), new VfsCalls.Read(3, 0, 12),
                new VfsCalls.FdCall(3, VfsCalls.FDATASYNC), new VfsCalls.Ftruncate(3, 4), new VfsCalls.FdCall(3, VfsCalls.CLOSE),
                new VfsCalls.Sync());
    }

    @Test
    void mkdirAndUnlinkTakeAPathAndTheirErrorsAreProblemJson() throws Exception {
        mvc.perform(post("/v1/mkdir").header("X-Comm", "test-mkdir").header("X-Pid", "4243")
                        .contentType(MediaType.APPLICATION_JSON).content("{\"path\":\"/logs\",\"mode\":\"0700\"}"))
                .andExpect(status().isOk()).andExpect(jsonPath("$.ret").value(0));
        mvc.perform(post("/v1/mkdir").contentType(MediaType.APPLICATION_JSON).content("{\"path\":\"/hello\"}"))
                .andExpect(status().isConflict()).andExpect(jsonPath("$.errno").value("EEXIST"));
        mvc.perform(post("/v1/unlink").contentType(MediaType.APPLICATION_JSON).content("{\"path\":\"/logs/a\"}"))
                .andExpect(status().isOk()).andExpect(jsonPath("$.ret").value(0));
        int before = asked.size();
        mvc.perform(post("/v1/mkdir").contentType(MediaType.APPLICATION_JSON).content("{\"path\":\"/x\",\"mode\":\"rwx\"}"))
                .andExpect(jsonPath("$.errno").value("EINVAL"));
        mvc.perform(post("/v1/unlink").contentType(MediaType.APPLICATION_JSON).content("{}"))
                .andExpect(jsonPath("$.errno").value("EINVAL"));
        assertThat(asked).hasSize(before);
        assertThat(asked).containsExactly(new VfsCalls.Mkdir("/logs", 0700), new VfsCalls.Mkdir("/hello", -1),
                new VfsCalls.Unlink("/logs/a"));
        assertThat(tasks.getFirst().task().toString()).isEqualTo("test-mkdir-4243");
        assertThat(registry.get(SyscallLatency.NAME).tags("call", "mkdir", "errno", "EEXIST").timer().count()).isEqualTo(1);
    }

    @Test
    void errorsAreProblemJsonAndBadInputNeverReachesVfs() throws Exception {
        mvc.perform(post("/v1/fds/7/fsync")).andExpect(status().isBadRequest())
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.errno").value("EBADF")).andExpect(jsonPath("$.code").value(9))
                .andExpect(jsonPath("$.detail").value("fd 7 is not open"));
        assertThat(registry.get(SyscallLatency.NAME).tags("call", "fsync", "errno", "EBADF").timer().count()).isEqualTo(1);
        mvc.perform(post("/v1/open").contentType(MediaType.APPLICATION_JSON).content("{\"path\":\"/missing\",\"flags\":[]}"))
                .andExpect(status().isNotFound()).andExpect(jsonPath("$.errno").value("ENOENT"));
        int before = asked.size();
        mvc.perform(post("/v1/open").contentType(MediaType.APPLICATION_JSON).content("{\"path\":\"/x\",\"mode\":\"0999\"}"))
                .andExpect(jsonPath("$.errno").value("EINVAL"));
        mvc.perform(post("/v1/open").contentType(MediaType.APPLICATION_JSON).content("{\"flags\":[]}"))
                .andExpect(jsonPath("$.errno").value("EINVAL"));
        mvc.perform(post("/v1/open").contentType(MediaType.APPLICATION_JSON).content("{not json"))
                .andExpect(jsonPath("$.errno").value("EINVAL"));
        mvc.perform(post("/v1/fds/3/write?offset=-1").content("x".getBytes()).contentType(MediaType.APPLICATION_OCTET_STREAM))
                .andExpect(jsonPath("$.errno").value("EINVAL"));
        mvc.perform(get("/v1/fds/3/read?length=-5")).andExpect(jsonPath("$.errno").value("EINVAL"));
        mvc.perform(post("/v1/fds/3/ftruncate").contentType(MediaType.APPLICATION_JSON).content("{}"))
                .andExpect(jsonPath("$.errno").value("EINVAL")).andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("length")));
        mvc.perform(post("/v1/fds/3/write").header("X-Pid", "zero").content("x".getBytes()).contentType(MediaType.APPLICATION_OCTET_STREAM))
                .andExpect(jsonPath("$.errno").value("EINVAL"));
        assertThat(asked).hasSize(before);
    }

    @Test
    void modesAreOctalText() {
        assertThat(FileController.parseMode("0644")).isEqualTo(0644);
        assertThat(FileController.parseMode("755")).isEqualTo(0755);
        assertThat(FileController.parseMode(null)).isEqualTo(-1);
    }
}
