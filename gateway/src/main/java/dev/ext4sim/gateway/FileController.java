package dev.ext4sim.gateway;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.trace.TraceContext;
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
 * The system calls of the seed program and its relatives, as REST (DESIGN §8): open, write, read, ftruncate, fsync,
 * fdatasync, close, sync, mkdir, unlink and stat. Each runs in the caller's task (X-Comm, X-Pid) and is passed to vfs-service as it is;
 * the only check made here is the size of one request, which the bus carries in one record.
 */
@RestController
class FileController {
    /** The most one REST write or read carries: one Kafka record holds it with room to spare. */
    static final int MAX_IO = 8 << 20;

    private final CallClient client;
    private final Duration timeout;
    private final SyscallLatency latency;

    FileController(CallClient client, @Value("${ext4sim.syscall-timeout:30s}") Duration timeout, MeterRegistry registry) {
        this.client = client;
        this.timeout = timeout;
        this.latency = new SyscallLatency(registry);
    }

    record OpenRequest(String path, List<String> flags, String mode) {
    }

    record FdReply(int fd) {
    }

    record MkdirRequest(String path, String mode) {
    }

    record UnlinkRequest(String path) {
    }

    record FtruncateRequest(Long length) {
    }

    record WrittenReply(long written) {
    }

    record RetReply(int ret) {
    }

    record StatReply(String path, long inode, String mode, int nlink, long size, long blocks, int blksize,
                     long atimeNs, long mtimeNs, long ctimeNs, String dev) {
    }

    @Operation(summary = "open(2): returns the new fd of the calling process (X-Comm, X-Pid)")
    @PostMapping(value = "/v1/open", consumes = MediaType.APPLICATION_JSON_VALUE)
    FdReply open(@RequestBody OpenRequest body, HttpServletRequest request, HttpServletResponse response) {
        if (body.path() == null) {
            throw new ErrnoException(Errno.EINVAL, "the body needs a path, e.g. {\"path\":\"/hello\",\"flags\":[\"O_CREAT\",\"O_RDWR\"],\"mode\":\"0644\"}");
        }
        if (body.flags() != null && body.flags().contains(null)) {
            throw new ErrnoException(Errno.EINVAL, "flags are names such as \"O_CREAT\", not null: " + body.flags());
        }
        VfsCalls.Opened opened = call("open", VfsCalls.OPEN, new VfsCalls.Open(body.path(), body.flags(), parseMode(body.mode())), request, response);
        return new FdReply(opened.fd());
    }

    @Operation(summary = "write(2), or pwrite(2) with ?offset=N: the body is the raw bytes")
    @PostMapping(value = "/v1/fds/{fd}/write", consumes = MediaType.ALL_VALUE)
    WrittenReply write(@PathVariable int fd,
                       @Parameter(description = "write at this offset (pwrite); the file position is left alone")
                       @RequestParam(required = false) Long offset,
                       @RequestBody(required = false) byte[] data, HttpServletRequest request, HttpServletResponse response) {
        byte[] bytes = data == null ? new byte[0] : data;
        if (bytes.length > MAX_IO) {
            throw new ErrnoException(Errno.EINVAL, "one REST write carries at most " + (MAX_IO >> 20) + " MiB, this one "
                    + bytes.length + " bytes; send the data as several writes");
        }
        if (offset != null && offset < 0) {
            throw new ErrnoException(Errno.EINVAL, "offset " + offset + " is negative");
        }
        return new WrittenReply(call("write", VfsCalls.WRITE, new VfsCalls.Write(fd, offset == null ? -1 : offset, bytes), request, response).written());
    }

    @Operation(summary = "read(2), or pread(2) with ?offset=N: the answer is the raw bytes (short at end of file)")
    @GetMapping(value = "/v1/fds/{fd}/read", produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    byte[] read(@PathVariable int fd, @RequestParam(required = false) Long offset,
                @RequestParam(defaultValue = "4096") long length, HttpServletRequest request, HttpServletResponse response) {
        if (length < 0 || length > MAX_IO) {
            throw new ErrnoException(Errno.EINVAL, "length must be from 0 to " + MAX_IO + " bytes, not " + length);
        }
        if (offset != null && offset < 0) {
            throw new ErrnoException(Errno.EINVAL, "offset " + offset + " is negative");
        }
        return call("read", VfsCalls.READ, new VfsCalls.Read(fd, offset == null ? -1 : offset, length), request, response);
    }

    @Operation(summary = "fsync(2)")
    @PostMapping("/v1/fds/{fd}/fsync")
    RetReply fsync(@PathVariable int fd, HttpServletRequest request, HttpServletResponse response) {
        return fdCall(fd, VfsCalls.FSYNC, request, response);
    }

    @Operation(summary = "fdatasync(2)")
    @PostMapping("/v1/fds/{fd}/fdatasync")
    RetReply fdatasync(@PathVariable int fd, HttpServletRequest request, HttpServletResponse response) {
        return fdCall(fd, VfsCalls.FDATASYNC, request, response);
    }

    @Operation(summary = "ftruncate(2): the file open for writing at fd gets this length (shorter drops the tail, longer is a hole)")
    @PostMapping(value = "/v1/fds/{fd}/ftruncate", consumes = MediaType.APPLICATION_JSON_VALUE)
    RetReply ftruncate(@PathVariable int fd, @RequestBody FtruncateRequest body, HttpServletRequest request,
                       HttpServletResponse response) {
        if (body.length() == null) {
            throw new ErrnoException(Errno.EINVAL, "the body needs a length, e.g. {\"length\":4096}");
        }
        return new RetReply(call("ftruncate", VfsCalls.FTRUNCATE, new VfsCalls.Ftruncate(fd, body.length()), request, response).ret());
    }

    @Operation(summary = "close(2)")
    @PostMapping("/v1/fds/{fd}/close")
    RetReply close(@PathVariable int fd, HttpServletRequest request, HttpServletResponse response) {
        return fdCall(fd, VfsCalls.CLOSE, request, response);
    }

    @Operation(summary = "sync(2): write every dirty inode and commit the journal")
    @PostMapping("/v1/sync")
    RetReply sync(HttpServletRequest request, HttpServletResponse response) {
        return new RetReply(call("sync", VfsCalls.SYNC, new VfsCalls.Sync(), request, response).ret());
    }

    @Operation(summary = "mkdir(2): a directory, mode 0755 unless given")
    @PostMapping(value = "/v1/mkdir", consumes = MediaType.APPLICATION_JSON_VALUE)
    RetReply mkdir(@RequestBody MkdirRequest body, HttpServletRequest request, HttpServletResponse response) {
        if (body.path() == null) {
            throw new ErrnoException(Errno.EINVAL, "the body needs a path, e.g. {\"path\":\"/logs\",\"mode\":\"0755\"}");
        }
        return new RetReply(call("mkdir", VfsCalls.MKDIR, new VfsCalls.Mkdir(body.path(), parseMode(body.mode())), request,
                response).ret());
    }

    @Operation(summary = "unlink(2): removes a file's name; its inode goes once no link and no open fd is left")
    @PostMapping(value = "/v1/unlink", consumes = MediaType.APPLICATION_JSON_VALUE)
    RetReply unlink(@RequestBody UnlinkRequest body, HttpServletRequest request, HttpServletResponse response) {
        if (body.path() == null) {
            throw new ErrnoException(Errno.EINVAL, "the body needs a path, e.g. {\"path\":\"/hello\"}");
        }
        return new RetReply(call("unlink", VfsCalls.UNLINK, new VfsCalls.Unlink(body.path()), request, response).ret());
    }

    @Operation(summary = "stat(2) by path: inode, size, blocks (512-byte units), times")
    @GetMapping("/v1/stat")
    StatReply stat(@RequestParam String path, HttpServletRequest request, HttpServletResponse response) {
        VfsCalls.Stat s = call("stat", VfsCalls.STAT, new VfsCalls.StatPath(path), request, response);
        return new StatReply(path, s.ino(), String.format("%07o", s.mode()), s.nlink(), s.size(), s.blocks(), s.blksize(),
                s.atimeNs(), s.mtimeNs(), s.ctimeNs(), s.dev());
    }

    private RetReply fdCall(int fd, String op, HttpServletRequest request, HttpServletResponse response) {
        return new RetReply(call(op, VfsCalls.FD, new VfsCalls.FdCall(fd, op), request, response).ret());
    }

    private <Q, R> R call(String syscall, CallType<Q, R> type, Q q, HttpServletRequest request,
                          HttpServletResponse response) {
        TraceContext trace = TraceContext.of(CallerTask.of(request));
        response.setHeader(TraceController.TRACE_ID_HEADER, trace.traceId());
        return latency.time(syscall, () -> client.invoke(VfsCalls.SERVICE, type, q, timeout, trace));
    }

    /** The permission bits as chmod(1) writes them: octal text such as "0644" or "644". */
    static int parseMode(String mode) {
        if (mode == null || mode.isBlank()) {
            return -1;
        }
        try {
            int m = Integer.parseInt(mode.trim(), 8);
            if (m < 0 || m > 07777) {
                throw new NumberFormatException();
            }
            return m;
        } catch (NumberFormatException e) {
            throw new ErrnoException(Errno.EINVAL, "mode must be octal permission bits such as \"0644\", not '" + mode + "'");
        }
    }
}
