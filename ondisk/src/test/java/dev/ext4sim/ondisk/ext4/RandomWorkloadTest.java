package dev.ext4sim.ondisk.ext4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.ondisk.E2fsprogs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random workloads through the API, then the real e2fsck and debugfs judge the image: e2fsck -fn must
 * find nothing, and debugfs must read back exactly what an in-memory model says each file holds. Set
 * -Dext4.seed=N to replay a failure.
 */
class RandomWorkloadTest {
    @TempDir
    Path dir;

    /** A file's expected content: bytes written, zeros in holes. */
    private static final class Model {
        byte[] data = new byte[0];
        int ino;

        void write(long off, byte[] b) {
            int end = (int) (off + b.length);
            if (end > data.length) {
                data = Arrays.copyOf(data, end);
            }
            System.arraycopy(b, 0, data, (int) off, b.length);
        }
    }

    @Test
    void randomTreeOfFilesMatchesDebugfsAndPassesE2fsck() {
        long seed = Long.getLong("ext4.seed", new Random().nextLong());
        String why = "seed " + seed + " (replay with -Dext4.seed=" + seed + ")";
        try {
            run(seed, why);
        } catch (RuntimeException e) {
            throw new AssertionError("random workload failed, " + why + ": " + e, e);
        }
    }

    private void run(long seed, String why) {
        Random rnd = new Random(seed);
        Path img = dir.resolve("rw.img");
        Mkfs.format(img, MkfsOptions.defaults().withSize(512L << 20).withUuid(new UUID(seed, 1)).withTimestamp(1_700_000_000L));

        Map<String, Model> files = new LinkedHashMap<>();
        List<String> dirs = new ArrayList<>(List.of(""));
        int totalWrites = 0;
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            fs.setClock(1_700_000_100L);
            for (int i = 0; i < 40; i++) {
                String parent = dirs.get(rnd.nextInt(dirs.size()));
                String path = parent + "/d" + i;
                fs.mkdir(path, 0755);
                dirs.add(path);
            }
            // One directory with enough long names to need several blocks.
            String big = dirs.get(1 + rnd.nextInt(dirs.size() - 1));
            for (int i = 0; i < 200; i++) {
                String path = big + "/a-rather-long-file-name-to-fill-directory-blocks-" + i;
                files.put(path, new Model());
            }
            for (int i = 0; i < 250; i++) {
                files.put(dirs.get(rnd.nextInt(dirs.size())) + "/f" + i + ".dat", new Model());
            }
            for (Map.Entry<String, Model> e : files.entrySet()) {
                e.getValue().ino = fs.create(e.getKey(), 0644);
            }
            List<String> names = new ArrayList<>(files.keySet());
            for (int op = 0; op < 3000; op++) {
                Model m = files.get(names.get(rnd.nextInt(names.size())));
                byte[] b = new byte[1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 200_000 : 9000)];
                rnd.nextBytes(b);
                long off = rnd.nextBoolean() ? m.data.length : rnd.nextInt(m.data.length + 100_000);
                fs.pwrite(m.ino, off, b);
                m.write(off, b);
                totalWrites++;
            }
            // Two files with a block every other block: > 340 extents (depth 1) and > 1360 (depth 2).
            for (int[] spec : new int[][] {{0, 700}, {1, 1500}}) {
                Model m = files.get(names.get(spec[0]));
                for (int k = 0; k < spec[1]; k++) {
                    byte[] b = new byte[1 + rnd.nextInt(4096)];
                    rnd.nextBytes(b);
                    long off = (long) k * 2 * 4096 + rnd.nextInt(4096 - b.length + 1);
                    fs.pwrite(m.ino, off, b);
                    m.write(off, b);
                    totalWrites++;
                }
            }
            int extents = 0;
            int maxDepth = 0;
            for (Model m : files.values()) {
                Inode inode = fs.inodes().read(m.ino);
                extents += fs.extents().extents(inode).size();
                maxDepth = Math.max(maxDepth, fs.extents().root(inode).header().depth());
                assertThat(fs.files().readAll(inode)).as("our own read of inode %d, %s", m.ino, why).isEqualTo(m.data);
            }
            Inode bigDir = fs.inodes().read(fs.lookup(big));
            System.out.printf("random workload %s: %d files, %d dirs, %d writes, %d extents, max depth %d, big dir %d blocks%n",
                    why, files.size(), dirs.size(), totalWrites, extents, maxDepth, bigDir.i_size() / 4096);
            assertThat(extents).as(why).isGreaterThan(2000);
            assertThat(maxDepth).as(why).isGreaterThanOrEqualTo(2);
            assertThat(bigDir.i_size() / 4096).as(why).isGreaterThanOrEqualTo(3);
        }

        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(img);
        assertThat(fsck.exit()).as("e2fsck -fn, %s:%n%s", why, fsck.output()).isZero();
        for (Map.Entry<String, Model> e : files.entrySet()) {
            E2fsprogs.Result cat = E2fsprogs.debugfs(img, "cat " + e.getKey());
            assertThat(cat.stdout()).as("debugfs cat %s, %s", e.getKey(), why).isEqualTo(e.getValue().data);
        }
    }
}
