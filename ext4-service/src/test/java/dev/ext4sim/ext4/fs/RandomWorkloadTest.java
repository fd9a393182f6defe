package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded random workload (creates in three directories, writes at random offsets, appends, overwrites, truncates
 * both ways, unlinks, fsyncs, flusher passes and commits at random moments) checked against a model of every file's
 * bytes: through ext4's read while mounted, by e2fsck -fn and debugfs on the image after unmount, and again after a
 * fresh mount of that image.
 */
class RandomWorkloadTest {
    @TempDir
    Path dir;

    @Test
    void everyFileMatchesTheModel() {
        long seed = 20261121L;
        Random rnd = new Random(seed);
        Map<String, byte[]> model = new LinkedHashMap<>();
        Map<String, Integer> inodes = new LinkedHashMap<>();
        Path image;
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20)) {
            image = f.image;
            TraceContext w = Ext4Fixture.writer("workload", 4242);
            Map<String, Integer> dirs = new LinkedHashMap<>();
            dirs.put("", Ext4.ROOT_INO);
            dirs.put("/a", f.ext4.mkdir(w, Ext4.ROOT_INO, "a", 0755));
            dirs.put("/a/b", f.ext4.mkdir(w, dirs.get("/a"), "b", 0700));
            List<String> dirNames = new ArrayList<>(dirs.keySet());
            int created = 0;
            for (int op = 0; op < 1500; op++) {
                int kind = rnd.nextInt(100);
                List<String> names = new ArrayList<>(model.keySet());
                if (names.isEmpty() || kind < 8) {
                    String d = dirNames.get(rnd.nextInt(dirNames.size()));
                    String name = "f" + (created++);
                    int ino = f.ext4.create(w, dirs.get(d), name, 0644);
                    model.put(d + "/" + name, new byte[0]);
                    inodes.put(d + "/" + name, ino);
                    continue;
                }
                String path = names.get(rnd.nextInt(names.size()));
                int ino = inodes.get(path);
                byte[] cur = model.get(path);
                if (kind < 50) {
                    long pos = switch (rnd.nextInt(3)) {
                        case 0 -> cur.length; // append
                        case 1 -> cur.length == 0 ? 0 : rnd.nextInt(cur.length); // overwrite
                        default -> cur.length + rnd.nextInt(3 * 4096); // past the end: a hole
                    };
                    byte[] data = new byte[1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 200_000 : 9000)];
                    rnd.nextBytes(data);
                    Ext4Mount.WriteResult r = f.ext4.write(w, ino, pos, data, Ext4Mount.WriteFlags.NONE);
                    assertThat(r.written()).isEqualTo(data.length);
                    byte[] next = Arrays.copyOf(cur, (int) Math.max(cur.length, pos + data.length));
                    System.arraycopy(data, 0, next, (int) pos, data.length);
                    model.put(path, next);
                } else if (kind < 60) {
                    int size = rnd.nextInt(2) == 0 ? rnd.nextInt(cur.length + 1) : cur.length + rnd.nextInt(20_000);
                    f.ext4.truncate(w, ino, size);
                    model.put(path, Arrays.copyOf(cur, size));
                } else if (kind < 66) {
                    int slash = path.lastIndexOf('/');
                    f.ext4.unlink(w, dirs.get(path.substring(0, slash)), path.substring(slash + 1));
                    model.remove(path);
                    inodes.remove(path);
                } else if (kind < 76) {
                    f.ext4.fsync(w, ino, rnd.nextBoolean());
                } else if (kind < 86) {
                    f.flushAll();
                } else if (kind < 92) {
                    f.journal.commit();
                } else {
                    int off = cur.length == 0 ? 0 : rnd.nextInt(cur.length);
                    int len = rnd.nextInt(20_000);
                    byte[] got = f.ext4.read(w, ino, off, len);
                    assertThat(got).isEqualTo(Arrays.copyOfRange(cur, off, Math.min(cur.length, off + len)));
                }
                f.clock.advanceMillis(rnd.nextInt(300));
            }
            for (var e : model.entrySet()) {
                int ino = inodes.get(e.getKey());
                assertThat(f.ext4.getattr(w, ino).size()).as(e.getKey()).isEqualTo(e.getValue().length);
                assertThat(f.ext4.read(w, ino, 0, e.getValue().length + 10)).as(e.getKey()).isEqualTo(e.getValue());
            }
            f.unmountAndCheck();
        }
        assertThat(model.size()).as("files alive at the end").isGreaterThanOrEqualTo(5);
        for (var e : model.entrySet()) {
            E2fsprogs.Result cat = E2fsprogs.debugfs(image, "cat " + e.getKey());
            assertThat(cat.stdout()).as("debugfs cat " + e.getKey()).isEqualTo(e.getValue());
        }
        try (Ext4Fixture again = new Ext4Fixture(image)) {
            TraceContext r = Ext4Fixture.writer("reader", 1);
            for (var e : model.entrySet()) {
                int ino = again.ext4.lookupPath(r, e.getKey());
                assertThat(ino).isEqualTo(inodes.get(e.getKey()));
                assertThat(again.ext4.read(r, ino, 0, e.getValue().length)).as("after remount " + e.getKey()).isEqualTo(e.getValue());
            }
            again.unmountAndCheck();
        }
    }
}
