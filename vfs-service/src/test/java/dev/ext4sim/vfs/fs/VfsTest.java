package dev.ext4sim.vfs.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.ext4.Ext4Calls;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class VfsTest {
    final MemoryInodeOps fs = new MemoryInodeOps();
    final List<String> flushed = new ArrayList<>();
    final Processes processes = new Processes(Instant.parse("2026-11-21T00:00:00Z"), 8);
    final Vfs vfs = new Vfs(fs, (dev, ctx) -> flushed.add(dev), processes);
    final TraceContext demo = TraceContext.of(new Task("demo", 1234));
    final TraceContext other = TraceContext.of(new Task("other", 77));

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void fails(Errno errno, String detailPart, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> {
            assertThat(e.errno()).isEqualTo(errno);
            assertThat(e.detail()).contains(detailPart);
        });
    }

    @Test
    void theSeedProgramOpensFd3WritesAtFposAndFsyncs() {
        int fd = vfs.open("/hello", List.of("O_CREAT", "O_RDWR"), 0644, demo);
        assertThat(fd).isEqualTo(3);
        assertThat(vfs.write(fd, -1, bytes("hello "), demo)).isEqualTo(6);
        assertThat(vfs.write(fd, -1, bytes("world\n"), demo)).isEqualTo(6);
        assertThat(vfs.fsync(fd, false, demo)).isZero();
        assertThat(vfs.close(fd, demo)).isZero();
        assertThat(fs.files.get(12L)).isEqualTo(bytes("hello world\n"));
        assertThat(fs.calls).containsExactly("create 2 hello 644", "open 12 write", "write 12 0", "write 12 6", "fsync 12",
                "release 12 write");
    }

    @Test
    void ext4CountsEachOpenFileWithItsWriteModeAndHearsOfEveryClose() {
        int rw = vfs.open("/f", List.of("O_CREAT", "O_RDWR"), 0644, demo);
        int ro = vfs.open("/f", List.of("O_RDONLY"), -1, demo);
        vfs.close(ro, demo);
        vfs.close(rw, demo);
        assertThat(fs.calls).containsExactly("create 2 f 644", "open 12 write", "lookup 2 f", "open 12", "release 12",
                "release 12 write");
    }

    @Test
    void fdsAreTheLowestFreeNumberPerProcess() {
        int a = vfs.open("/a", List.of("O_CREAT", "O_WRONLY"), 0644, demo);
        int b = vfs.open("/b", List.of("O_CREAT", "O_WRONLY"), 0644, demo);
        assertThat(vfs.open("/a", List.of("O_RDONLY"), -1, other)).isEqualTo(3);
        vfs.close(a, demo);
        assertThat(vfs.open("/c", List.of("O_CREAT", "O_WRONLY"), 0644, demo)).isEqualTo(3);
        assertThat(b).isEqualTo(4);
        fails(Errno.EBADF, "fd 4 is not open in process other-77", () -> vfs.write(4, -1, bytes("x"), other));
    }

    @Test
    void tooManyOpenFilesIsEmfile() {
        for (int fd = 3; fd < 8; fd++) {
            assertThat(vfs.open("/f", List.of("O_CREAT", "O_RDWR"), 0644, demo)).isEqualTo(fd);
        }
        fails(Errno.EMFILE, "RLIMIT_NOFILE 8", () -> vfs.open("/f", List.of("O_RDWR"), -1, demo));
        assertThat(fs.calls.getLast()).as("the file that got no fd is released").isEqualTo("release 12 write");
    }

    @Test
    void pwriteLeavesFposAndAppendWritesAtTheEnd() {
        int fd = vfs.open("/f", List.of("O_CREAT", "O_RDWR"), 0644, demo);
        vfs.write(fd, -1, bytes("abcdef"), demo);
        vfs.write(fd, 1, bytes("XY"), demo);
        vfs.write(fd, -1, bytes("!"), demo);
        assertThat(fs.files.get(12L)).isEqualTo(bytes("aXYdef!"));
        int ap = vfs.open("/f", List.of("O_WRONLY", "O_APPEND"), -1, demo);
        vfs.write(ap, -1, bytes("+"), demo);
        assertThat(fs.files.get(12L)).isEqualTo(bytes("aXYdef!+"));
        assertThat(vfs.read(fd, 0, 100, demo)).isEqualTo(bytes("aXYdef!+"));
        assertThat(vfs.read(fd, -1, 100, demo)).isEqualTo(bytes("+"));
    }

    @Test
    void oSyncImpliesDsyncAndReachesWriteIter() {
        int fd = vfs.open("/s", List.of("O_CREAT", "O_WRONLY", "O_SYNC"), 0600, demo);
        vfs.write(fd, -1, bytes("x"), demo);
        int d = vfs.open("/s", List.of("O_WRONLY", "O_DSYNC"), -1, demo);
        vfs.write(d, -1, bytes("y"), demo);
        assertThat(fs.calls).contains("write 12 0 sync dsync", "write 12 0 dsync");
    }

    @Test
    void truncateOnOpenOnlyWhenThereIsSomethingToCut() {
        int fd = vfs.open("/t", List.of("O_CREAT", "O_WRONLY", "O_TRUNC"), 0644, demo);
        vfs.write(fd, -1, bytes("data"), demo);
        vfs.open("/t", List.of("O_WRONLY", "O_TRUNC"), -1, demo);
        assertThat(fs.calls.stream().filter(c -> c.startsWith("truncate"))).containsExactly("truncate 12 0");
        assertThat(fs.files.get(12L)).isEmpty();
    }

    @Test
    void ftruncateSizesAFileOpenForWritingAndRefusesTheRestAsOpenCDoes() {
        int fd = vfs.open("/t", List.of("O_CREAT", "O_RDWR"), 0644, demo);
        vfs.write(fd, -1, bytes("abcdef"), demo);
        assertThat(vfs.ftruncate(fd, 2, demo)).isZero();
        assertThat(vfs.ftruncate(fd, 5, demo)).isZero();
        assertThat(fs.files.get(12L)).isEqualTo(new byte[] {'a', 'b', 0, 0, 0});
        // f_pos stays where the write left it, past the new end: the next write leaves a hole
        vfs.write(fd, -1, bytes("!"), demo);
        assertThat(fs.files.get(12L)).isEqualTo(new byte[] {'a', 'b', 0, 0, 0, 0, '!'});

        int before = fs.calls.size();
        fails(Errno.EINVAL, "length -1 is negative", () -> vfs.ftruncate(fd, -1, demo));
        fails(Errno.EBADF, "fd 9 is not open", () -> vfs.ftruncate(9, 0, demo));
        int ro = vfs.open("/t", List.of("O_RDONLY"), -1, demo);
        fails(Errno.EINVAL, "ftruncate needs an fd opened O_WRONLY or O_RDWR", () -> vfs.ftruncate(ro, 0, demo));
        int dir = vfs.open("/", List.of("O_RDONLY"), -1, demo);
        fails(Errno.EINVAL, "ftruncate sizes regular files", () -> vfs.ftruncate(dir, 0, demo));
        assertThat(fs.calls.subList(before, fs.calls.size())).noneMatch(c -> c.startsWith("truncate"));
        assertThat(fs.files.get(12L)).hasSize(7);
    }

    @Test
    void accessModesAreEnforced() {
        int ro = vfs.open("/r", List.of("O_CREAT", "O_RDONLY"), 0644, demo);
        fails(Errno.EBADF, "open O_RDONLY; open it with O_WRONLY or O_RDWR", () -> vfs.write(ro, -1, bytes("x"), demo));
        int wo = vfs.open("/r", List.of("O_WRONLY"), -1, demo);
        fails(Errno.EBADF, "O_WRONLY", () -> vfs.read(wo, -1, 1, demo));
        fails(Errno.EINVAL, "two access modes", () -> vfs.open("/r", List.of("O_RDONLY", "O_RDWR"), -1, demo));
        fails(Errno.EINVAL, "unknown open flag 'O_BOGUS'", () -> vfs.open("/r", List.of("O_BOGUS"), -1, demo));
        fails(Errno.EINVAL, "offset -2", () -> vfs.write(wo, -2, bytes("x"), demo));
        fails(Errno.EINVAL, "not a permission mode", () -> vfs.open("/n", List.of("O_CREAT"), 010000, demo));
    }

    @Test
    void namespaceErrorsAreDecidedBeforeAnyWrite() {
        long dir = fs.mkdir(Ext4Calls.ROOT_INO, "dir");
        vfs.open("/file", List.of("O_CREAT", "O_WRONLY"), 0644, demo);
        int before = fs.calls.size();
        var inodes = new java.util.HashSet<>(fs.files.keySet());
        fails(Errno.ENOENT, "not found", () -> vfs.open("/missing", List.of("O_RDONLY"), -1, demo));
        fails(Errno.ENOENT, "not found", () -> vfs.open("/missing/x", List.of("O_CREAT", "O_RDWR"), 0644, demo));
        fails(Errno.ENOTDIR, "file is not a directory", () -> vfs.open("/file/x", List.of("O_CREAT", "O_RDWR"), 0644, demo));
        fails(Errno.ENOTDIR, "ends in '/'", () -> vfs.open("/file/", List.of("O_RDONLY"), -1, demo));
        fails(Errno.EISDIR, "is a directory", () -> vfs.open("/dir", List.of("O_WRONLY"), -1, demo));
        fails(Errno.EISDIR, "O_CREAT makes regular files", () -> vfs.open("/", List.of("O_CREAT", "O_RDWR"), 0644, demo));
        fails(Errno.EISDIR, "O_CREAT makes regular files", () -> vfs.open("/new/", List.of("O_CREAT", "O_RDWR"), 0644, demo));
        fails(Errno.EEXIST, "exists", () -> vfs.open("/file", List.of("O_CREAT", "O_EXCL", "O_RDWR"), 0644, demo));
        fails(Errno.ENOTDIR, "O_DIRECTORY", () -> vfs.open("/file", List.of("O_RDONLY", "O_DIRECTORY"), -1, demo));
        fails(Errno.ENAMETOOLONG, "NAME_MAX is 255", () -> vfs.open("/" + "n".repeat(256), List.of("O_CREAT", "O_RDWR"), 0644, demo));
        fails(Errno.ENAMETOOLONG, "PATH_MAX is 4096", () -> vfs.open("/a".repeat(2048), List.of("O_RDONLY"), -1, demo));
        fails(Errno.ENOENT, "empty", () -> vfs.open("", List.of("O_RDONLY"), -1, demo));
        assertThat(fs.calls.subList(before, fs.calls.size())).noneMatch(c -> c.startsWith("write") || c.startsWith("truncate"));
        assertThat(fs.files.keySet()).isEqualTo(inodes);
        assertThat(vfs.open("/dir", List.of("O_RDONLY", "O_DIRECTORY"), -1, demo)).isPositive();
        assertThat(vfs.stat("/dir/../dir/./", demo).ino()).isEqualTo(dir);
        assertThat(vfs.stat("/../../file", demo).size()).isZero();
    }

    @Test
    void readingADirectoryIsEisdir() {
        fs.mkdir(Ext4Calls.ROOT_INO, "d");
        int fd = vfs.open("/d", List.of("O_RDONLY"), -1, demo);
        fails(Errno.EISDIR, "read(2) reads files", () -> vfs.read(fd, -1, 10, demo));
    }

    @Test
    void aProcessThisVfsNeverSawGetsAnEbadfThatExplainsRestarts() {
        fails(Errno.EBADF, "fd tables do not survive a restart of vfs-service", () -> vfs.write(3, -1, bytes("x"), demo));
        fails(Errno.EBADF, "has opened nothing since vfs-service started at 2026-11-21T00:00:00Z", () -> vfs.fsync(3, false, demo));
        int fd = vfs.open("/x", List.of("O_CREAT", "O_RDWR"), 0644, demo);
        vfs.close(fd, demo);
        fails(Errno.EBADF, "fd 3 is not open in process demo-1234", () -> vfs.close(fd, demo));
    }

    @Test
    void anFdOpenedBeforeExt4MountedAgainIsRefusedAndTheFileOpensAgain() {
        int fd = vfs.open("/f", List.of("O_CREAT", "O_RDWR"), 0644, demo);
        vfs.write(fd, -1, bytes("acknowledged by write only"), demo);
        fs.remount();
        fails(Errno.EIO, "earlier mount", () -> vfs.fsync(fd, false, demo));
        fails(Errno.EIO, "earlier mount", () -> vfs.write(fd, -1, bytes("x"), demo));
        fails(Errno.EIO, "earlier mount", () -> vfs.read(fd, 0, 1, demo));
        fails(Errno.EIO, "earlier mount", () -> vfs.ftruncate(fd, 0, demo));
        assertThat(vfs.close(fd, demo)).isZero();
        int again = vfs.open("/f", List.of("O_RDWR"), -1, demo);
        assertThat(vfs.write(again, 0, bytes("y"), demo)).isEqualTo(1);
        assertThat(vfs.fsync(again, false, demo)).isZero();
    }

    @Test
    void syncWritesTheInodesThenSyncsTheFilesystem() {
        assertThat(vfs.sync(demo)).isZero();
        assertThat(flushed).containsExactly("sda1");
        assertThat(fs.calls).containsExactly("sync_fs");
    }

    @Test
    void anEmptyWriteAsksExt4Nothing() {
        int fd = vfs.open("/e", List.of("O_CREAT", "O_RDWR"), 0644, demo);
        assertThat(vfs.write(fd, -1, new byte[0], demo)).isZero();
        assertThat(fs.calls).noneMatch(c -> c.startsWith("write"));
    }

    @Test
    void mkdirMakesADirectoryThePathWalkEntersAndUnlinkRemovesAFileName() {
        assertThat(vfs.mkdir("/d", -1, demo)).isZero();
        int fd = vfs.open("/d/a", List.of("O_CREAT", "O_WRONLY"), 0644, demo);
        vfs.close(fd, demo);
        assertThat(vfs.stat("/d/a", demo).size()).isZero();
        assertThat(vfs.unlink("/d/a", demo)).isZero();
        fails(Errno.ENOENT, "a not found", () -> vfs.stat("/d/a", demo));
        assertThat(fs.calls).contains("mkdir 2 d 755", "unlink 12 a");
    }

    @Test
    void mkdirAndUnlinkRefuseWhatTheKernelRefuses() {
        vfs.close(vfs.open("/f", List.of("O_CREAT", "O_WRONLY"), 0644, demo), demo);
        vfs.mkdir("/d", 0700, demo);
        fails(Errno.EEXIST, "d exists", () -> vfs.mkdir("/d", 0755, demo));
        fails(Errno.EEXIST, "names a directory that exists", () -> vfs.mkdir("/", 0755, demo));
        fails(Errno.ENOENT, "nope not found", () -> vfs.mkdir("/nope/x", 0755, demo));
        fails(Errno.ENOTDIR, "f is not a directory", () -> vfs.mkdir("/f/x", 0755, demo));
        fails(Errno.EINVAL, "not a permission mode", () -> vfs.mkdir("/e", 010000, demo));
        fails(Errno.EISDIR, "d is a directory", () -> vfs.unlink("/d", demo));
        fails(Errno.EISDIR, "unlink removes files", () -> vfs.unlink("/", demo));
        fails(Errno.ENOTDIR, "is not a directory (the path ends in '/')", () -> vfs.unlink("/f/", demo));
        fails(Errno.ENOENT, "nope not found", () -> vfs.unlink("/nope", demo));
        assertThat(vfs.stat("/f", demo).ino()).isEqualTo(12);
    }
}
