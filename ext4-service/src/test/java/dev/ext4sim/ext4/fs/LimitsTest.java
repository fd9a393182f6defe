package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ENOSPC at write() and never at writeback, EFBIG, the namespace errnos, and bad input that changes nothing. */
class LimitsTest {
    @TempDir
    Path dir;

    static void errno(Errno expected, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(expected));
    }

    @Test
    void enospcAtWriteNeverAtWriteback() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20)) {
            TraceContext w = Ext4Fixture.writer("filler", 7);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "big", 0644);
            byte[] chunk = new byte[256 << 10];
            new Random(1).nextBytes(chunk);
            long pos = 0;
            ErrnoException full = null;
            for (int i = 0; i < 200 && full == null; i++) {
                try {
                    Ext4Mount.WriteResult r = f.ext4.write(w, ino, pos, chunk, Ext4Mount.WriteFlags.NONE);
                    pos = r.pos();
                    if (r.written() < chunk.length) {
                        // a short write: the next one fails outright
                        errno(Errno.ENOSPC, () -> f.ext4.write(w, ino, r.pos(), chunk, Ext4Mount.WriteFlags.NONE));
                        full = new ErrnoException(Errno.ENOSPC, "short");
                    }
                } catch (ErrnoException e) {
                    assertThat(e.errno()).isEqualTo(Errno.ENOSPC);
                    full = e;
                }
            }
            assertThat(full).as("the device filled up").isNotNull();
            assertThat(pos).isGreaterThan(8L << 20);
            // near the end ext4_nonda_switch turned delalloc off: blocks were allocated at write_begin
            assertThat(f.names("filler")).contains("ext4_write_begin", "ext4_da_write_begin");
            Stat st = f.ext4.getattr(w, ino);
            assertThat(st.size()).isEqualTo(pos);
            assertThat(st.blocks()).isEqualTo((pos + 4095) / 4096 * 8);

            f.flushAll(); // every reserved block gets a real one: no ENOSPC here
            assertThat(f.ext4.dirtyInodes()).isEmpty();
            assertThat(f.ext4.getattr(w, ino).blocks()).isEqualTo(st.blocks());
            byte[] back = f.ext4.read(w, ino, 0, (int) pos);
            for (int off = 0; off < pos; off += chunk.length) {
                int n = (int) Math.min(chunk.length, pos - off);
                assertThat(Arrays.copyOfRange(back, off, off + n)).isEqualTo(Arrays.copyOf(chunk, n));
            }
            f.unmountAndCheck();
            E2fsprogs.Result stat = E2fsprogs.debugfs(f.image, "stat /big");
            assertThat(stat.output()).contains("Size: " + pos);
        }
    }

    @Test
    void efbigPastTheLargestFile() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("w", 8);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            errno(Errno.EFBIG, () -> f.ext4.write(w, ino, Super.MAX_BYTES, new byte[1], Ext4Mount.WriteFlags.NONE));
            errno(Errno.EFBIG, () -> f.ext4.truncate(w, ino, Super.MAX_BYTES + 1));
            // the count is cut at s_maxbytes
            Ext4Mount.WriteResult r = f.ext4.write(w, ino, Super.MAX_BYTES - 10, new byte[100], Ext4Mount.WriteFlags.NONE);
            assertThat(r.written()).isEqualTo(10);
            assertThat(f.ext4.getattr(w, ino).size()).isEqualTo(Super.MAX_BYTES);
            f.ext4.truncate(w, ino, 0);
            assertThat(f.ext4.getattr(w, ino).blocks()).isZero();
            f.unmountAndCheck();
        }
    }

    @Test
    void namespaceErrnosAndBadInputLeaveTheImageAlone() throws IOException {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("w", 9);
            int d = f.ext4.mkdir(w, Ext4.ROOT_INO, "d", 0755);
            int file = f.ext4.create(w, d, "file", 0644);
            f.ext4.write(w, file, 0, "data".getBytes(), Ext4Mount.WriteFlags.NONE);
            f.ext4.sync(w);
            f.journal.commit();
            byte[] before = Files.readAllBytes(f.image);
            int handles = f.journal.started().size();

            errno(Errno.ENOENT, () -> f.ext4.lookup(w, d, "missing"));
            errno(Errno.ENOENT, () -> f.ext4.lookupPath(w, "/d/missing/x"));
            errno(Errno.ENOTDIR, () -> f.ext4.lookup(w, file, "x"));
            errno(Errno.ENOTDIR, () -> f.ext4.create(w, file, "x", 0644));
            errno(Errno.EEXIST, () -> f.ext4.create(w, d, "file", 0644));
            errno(Errno.EEXIST, () -> f.ext4.mkdir(w, Ext4.ROOT_INO, "d", 0755));
            errno(Errno.EEXIST, () -> f.ext4.create(w, d, "..", 0644));
            errno(Errno.ENAMETOOLONG, () -> f.ext4.create(w, d, "n".repeat(256), 0644));
            errno(Errno.ENAMETOOLONG, () -> f.ext4.lookup(w, d, "n".repeat(256)));
            errno(Errno.EINVAL, () -> f.ext4.create(w, d, "a/b", 0644));
            errno(Errno.ENOENT, () -> f.ext4.create(w, d, "", 0644));
            errno(Errno.EISDIR, () -> f.ext4.unlink(w, Ext4.ROOT_INO, "d"));
            errno(Errno.ENOENT, () -> f.ext4.unlink(w, d, "missing"));
            errno(Errno.EISDIR, () -> f.ext4.write(w, d, 0, new byte[1], Ext4Mount.WriteFlags.NONE));
            errno(Errno.EISDIR, () -> f.ext4.read(w, d, 0, 1));
            errno(Errno.EISDIR, () -> f.ext4.truncate(w, d, 0));
            errno(Errno.EINVAL, () -> f.ext4.write(w, file, -1, new byte[1], Ext4Mount.WriteFlags.NONE));
            errno(Errno.EINVAL, () -> f.ext4.read(w, file, -1, 1));
            errno(Errno.EINVAL, () -> f.ext4.truncate(w, file, -1));
            errno(Errno.EBADF, () -> f.ext4.release(w, file, true));
            errno(Errno.ESTALE, () -> f.ext4.getattr(w, 999_999));
            errno(Errno.ESTALE, () -> f.ext4.getattr(w, 13_000));
            errno(Errno.EINVAL, () -> f.ext4.writepages(w, file, new dev.ext4sim.ext4.port.WritebackControl(2, 1, 0, 1, false, false, false, false, "")));
            errno(Errno.EINVAL, () -> f.ext4.writepages(w, file, new dev.ext4sim.ext4.port.WritebackControl(0, 0, 0, 1, false, false, false, false, "")));

            assertThat(f.journal.started()).hasSize(handles); // no handle was even started
            assertThat(f.journal.commit()).isFalse();
            assertThat(Files.readAllBytes(f.image)).isEqualTo(before);
            assertThat(f.ext4.read(w, file, 0, 10)).isEqualTo("data".getBytes());
            f.unmountAndCheck();
        }
    }

    @Test
    void aCorruptInodeIsEuclean() {
        Path image;
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            image = f.image;
            TraceContext w = Ext4Fixture.writer("w", 11);
            f.ext4.create(w, Ext4.ROOT_INO, "victim", 0644);
            f.unmountAndCheck();
        }
        long table;
        try (var fs = dev.ext4sim.ondisk.ext4.Ext4Filesystem.open(image)) {
            table = fs.group(0).bg_inode_table();
        }
        try (dev.ext4sim.ondisk.ImageFile img = dev.ext4sim.ondisk.ImageFile.open(image, 4096)) {
            byte[] b = img.read(table);
            b[11 * 256 + 0x10] ^= 0x5A; // i_mtime of inode 12: the checksum no longer holds
            img.write(table, b);
        }
        try (Ext4Fixture f = new Ext4Fixture(image)) {
            TraceContext w = Ext4Fixture.writer("w", 12);
            errno(Errno.EUCLEAN, () -> f.ext4.lookupPath(w, "/victim"));
            assertThat(f.ext4.lookupPath(w, "/")).isEqualTo(Ext4.ROOT_INO); // the rest still serves
        }
    }

    @Test
    void mountOfSomethingElseFailsCleanly() {
        dev.ext4sim.ondisk.MemoryBlockDevice blank = new dev.ext4sim.ondisk.MemoryBlockDevice(4096, 1024);
        FakeJournal journal = new FakeJournal(blank);
        dev.ext4sim.bus.testing.ManualClock clock = new dev.ext4sim.bus.testing.ManualClock();
        errno(Errno.EINVAL, () -> Ext4Mount.mount(Ext4Fixture.MOUNT, new FakeBlockPort(blank), journal, new RecordingWriteback(),
                new dev.ext4sim.bus.trace.Tracer("ext4-service", clock.traceClock(), dev.ext4sim.bus.trace.TraceSink.NONE, 2), clock));
        assertThat(journal.loads).as("the journal is not touched").isZero();
    }

    @Test
    void unlinkOfAnOpenFileFreesItAtTheLastRelease() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("w", 10);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "tmp", 0600);
            f.ext4.open(w, ino, true);
            f.ext4.write(w, ino, 0, new byte[3 * 4096 + 5], Ext4Mount.WriteFlags.NONE);
            f.ext4.fsync(w, ino, false);
            f.ext4.unlink(w, Ext4.ROOT_INO, "tmp");
            errno(Errno.ENOENT, () -> f.ext4.lookup(w, Ext4.ROOT_INO, "tmp"));
            // still readable through the open file
            assertThat(f.ext4.read(w, ino, 0, 10)).hasSize(10);
            assertThat(f.names("w")).doesNotContain("ext4_free_inode");
            f.ext4.release(w, ino, true);
            assertThat(f.names("w")).contains("ext4_free_inode");
            int again = f.ext4.create(w, Ext4.ROOT_INO, "next", 0644);
            assertThat(again).isEqualTo(ino); // the inode is free again
            f.unmountAndCheck();
        }
    }

    @Test
    void anUnlinkedFileStillOpenAtUnmountIsFreedAsItsHolderExits() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("w", 10);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "tmp", 0600);
            f.ext4.open(w, ino, true);
            f.ext4.write(w, ino, 0, new byte[2 * 4096], Ext4Mount.WriteFlags.NONE);
            f.ext4.unlink(w, Ext4.ROOT_INO, "tmp");
            assertThat(f.names("w")).doesNotContain("ext4_free_inode");
            f.unmountAndCheck(); // e2fsck: no inode left with no link
            assertThat(f.names("mount")).contains("ext4_free_inode");
        }
    }
}
