package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.KernelProfile;
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
 * A seeded random workload (creates in three directories, writes at random offsets with and without O_SYNC, appends,
 * overwrites, truncates both ways, unlinks, reads, fsyncs, flusher passes and commits at random moments) checked
 * against a model of every file's bytes: through ext4's read while mounted, by e2fsck -fn and debugfs on the image
 * after each of three mounts, the later mounts continuing on what the earlier ones left.
 */
class RandomWorkloadTest {
    /** Another seed: -DargLine=-Dext4.core.seed=N. */
    static final long SEED = Long.getLong("ext4.core.seed", 20261121L);

    @TempDir
    Path dir;

    private final Random rnd = new Random(SEED);
    private final Map<String, byte[]> model = new LinkedHashMap<>();
    private final Map<String, Integer> inodes = new LinkedHashMap<>();
    private final Map<String, Integer> dirs = new LinkedHashMap<>();
    private int created;

    @Test
    void everyFileMatchesTheModel() {
        everyFileMatchesTheModel(KernelProfile.V4X);
    }

    /** The 6.x profile's paths (lazy inode bitmap reads, the superblock's s_last_mounted, cached extents) alike. */
    @Test
    void everyFileMatchesTheModelIn6x() {
        everyFileMatchesTheModel(KernelProfile.V6X);
    }

    private void everyFileMatchesTheModel(KernelProfile profile) {
        Path image = Ext4Fixture.format(dir.resolve("sda1.img"), 64L << 20);
        for (int mount = 0; mount < 3; mount++) {
            try (Ext4Fixture f = new Ext4Fixture(image, profile)) {
                TraceContext w = Ext4Fixture.writer("workload", 4242);
                if (mount == 0) {
                    dirs.put("", Ext4.ROOT_INO);
                    dirs.put("/a", f.ext4.mkdir(w, Ext4.ROOT_INO, "a", 0755));
                    dirs.put("/a/b", f.ext4.mkdir(w, dirs.get("/a"), "b", 0700));
                } else {
                    for (var e : model.entrySet()) {
                        assertThat(f.ext4.lookupPath(w, e.getKey())).isEqualTo(inodes.get(e.getKey()));
                    }
                }
                run(f, w, 700);
                for (var e : model.entrySet()) {
                    int ino = inodes.get(e.getKey());
                    assertThat(f.ext4.getattr(w, ino).size()).as(e.getKey()).isEqualTo(e.getValue().length);
                    assertThat(f.ext4.read(w, ino, 0, e.getValue().length + 10)).as(e.getKey()).isEqualTo(e.getValue());
                }
                f.unmountAndCheck();
            }
            for (var e : model.entrySet()) {
                E2fsprogs.Result cat = E2fsprogs.debugfs(image, "cat " + e.getKey());
                assertThat(cat.stdout()).as("debugfs cat " + e.getKey() + " after mount " + mount).isEqualTo(e.getValue());
            }
        }
        assertThat(model.size()).as("files alive at the end").isGreaterThanOrEqualTo(5);
    }

    private void run(Ext4Fixture f, TraceContext w, int ops) {
        List<String> dirNames = new ArrayList<>(dirs.keySet());
        for (int op = 0; op < ops; op++) {
            int kind = rnd.nextInt(100);
            List<String> names = new ArrayList<>(model.keySet());
            if (names.size() < 3 || kind < 7) {
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
                boolean osync = rnd.nextInt(20) == 0;
                Ext4Mount.WriteResult r = f.ext4.write(w, ino, pos, data, new Ext4Mount.WriteFlags(false, osync, false));
                assertThat(r.written()).isEqualTo(data.length);
                byte[] next = Arrays.copyOf(cur, (int) Math.max(cur.length, pos + data.length));
                System.arraycopy(data, 0, next, (int) pos, data.length);
                model.put(path, next);
            } else if (kind < 60) {
                int size = rnd.nextInt(2) == 0 ? rnd.nextInt(cur.length + 1) : cur.length + rnd.nextInt(20_000);
                f.ext4.truncate(w, ino, size);
                model.put(path, Arrays.copyOf(cur, size));
            } else if (kind < 65) {
                int slash = path.lastIndexOf('/');
                f.ext4.unlink(w, dirs.get(path.substring(0, slash)), path.substring(slash + 1));
                model.remove(path);
                inodes.remove(path);
            } else if (kind < 75) {
                f.ext4.fsync(w, ino, rnd.nextBoolean());
            } else if (kind < 83) {
                f.flushAll();
            } else if (kind < 88) {
                f.journal.commit();
            } else {
                int off = cur.length == 0 ? 0 : rnd.nextInt(cur.length);
                int len = rnd.nextInt(20_000);
                byte[] got = f.ext4.read(w, ino, off, len);
                assertThat(got).isEqualTo(Arrays.copyOfRange(cur, off, Math.min(cur.length, off + len)));
            }
            f.clock.advanceMillis(rnd.nextInt(300));
        }
    }
}
