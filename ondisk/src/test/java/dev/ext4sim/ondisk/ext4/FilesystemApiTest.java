package dev.ext4sim.ondisk.ext4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API's bookkeeping, checked directly and then by e2fsck. */
class FilesystemApiTest {
    @TempDir
    Path dir;

    @Test
    void countersLinksAndHolesOn32BitDescriptors() {
        Path img = dir.resolve("api.img");
        Mkfs.format(img, MkfsOptions.defaults().withSize(300L << 20).with64bit(false).withTimestamp(1_700_000_000L));
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            assertThat(fs.is64bit()).isFalse();
            long freeBefore = fs.superBlock().s_free_blocks_count();
            int a = fs.mkdir("/a", 0755);
            int b = fs.mkdir("/a/b", 0700);
            fs.mkdir("/a/c", 0755);
            int f = fs.create("/a/b/file", 0644);
            assertThat(f).isGreaterThanOrEqualTo(12);
            assertThat(fs.inodes().read(Ext4.ROOT_INO).i_links_count()).isEqualTo(4);
            assertThat(fs.inodes().read(a).i_links_count()).isEqualTo(4);
            assertThat(fs.inodes().read(b).i_links_count()).isEqualTo(2);

            fs.pwrite(f, 10 * 4096 + 5, "hello".getBytes()); // a hole of ten blocks first
            fs.append(f, "world".getBytes());
            Inode inode = fs.inodes().read(f);
            assertThat(inode.i_size()).isEqualTo(10 * 4096 + 15);
            assertThat(inode.i_blocks()).isEqualTo(8);
            assertThat(fs.bmap(f, 0)).isEqualTo(-1);
            byte[] all = fs.readAll(f);
            assertThat(new String(all, 10 * 4096 + 5, 10)).isEqualTo("helloworld");
            assertThat(all[0]).isZero();
            fs.flush();
            // three dir blocks and one data block
            assertThat(fs.superBlock().s_free_blocks_count()).isEqualTo(freeBefore - 4);

            // Low-level use, as ext4-service will: allocate, insert an extent, set the size, write the inode.
            int g = fs.ialloc().newInode(b, false);
            Inode raw = fs.ialloc().initInode(g, Ext4.S_IFREG | 0644, 1);
            Mballoc.Run run = fs.mballoc().newBlocks(fs.bmap(f, 10) + 1, 3);
            fs.extents().insert(raw, new Extent(0, run.len(), run.start()));
            raw.i_blocks(raw.i_blocks() + run.len() * 8L);
            raw.i_size(run.len() * 4096L);
            fs.inodes().write(raw);
            fs.namei().addEntry(fs.inodes().read(b), "lowlevel", g, Ext4.FT_REG_FILE);
            assertThat(fs.lookup("/a/b/lowlevel")).isEqualTo(g);
            assertThat(fs.bmap(g, 2)).isEqualTo(run.start() + 2);
            assertThat(fs.readdir(b)).extracting(DirEntry::nameString).containsExactly(".", "..", "file", "lowlevel");
        }
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(img);
        assertThat(fsck.exit()).as(fsck.output()).isZero();
        assertThat(E2fsprogs.debugfs(img, "cat /a/b/file").stdout()).hasSize(10 * 4096 + 15);
    }

    @Test
    void writesIntoAnImageMadeByMke2fs() throws java.io.IOException {
        // mke2fs defaults (flex_bg, resize_inode, orphan_file, uninitialised groups), linear directories.
        Path img = dir.resolve("mke2fs.img");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(512L << 20);
        }
        E2fsprogs.Result mk = E2fsprogs.run("mkfs.ext4", "-q", "-F", "-b", "4096", "-O", "^dir_index", img.toString());
        assertThat(mk.exit()).as(mk.output()).isZero();
        java.util.Random rnd = new java.util.Random(5);
        java.util.Map<String, byte[]> content = new java.util.LinkedHashMap<>();
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            for (int d = 0; d < 6; d++) {
                fs.mkdir("/d" + d, 0755);
                for (int i = 0; i < 10; i++) {
                    String path = "/d" + d + "/f" + i;
                    byte[] b = new byte[rnd.nextInt(100_000)];
                    rnd.nextBytes(b);
                    fs.pwrite(fs.create(path, 0644), 0, b);
                    content.put(path, b);
                }
            }
            assertThat(java.util.stream.IntStream.range(0, fs.groupCount()).filter(g -> fs.group(g).bg_used_dirs_count() > 0).count())
                    .as("directories spread over several groups").isGreaterThan(1);
        }
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(img);
        assertThat(fsck.exit()).as(fsck.output()).isZero();
        for (var e : content.entrySet()) {
            assertThat(E2fsprogs.debugfs(img, "cat " + e.getKey()).stdout()).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void readsHtreeDirectoriesButDoesNotAddToThem() throws java.io.IOException {
        Path src = dir.resolve("src");
        java.nio.file.Files.createDirectories(src.resolve("big"));
        for (int i = 0; i < 400; i++) {
            java.nio.file.Files.writeString(src.resolve("big/entry-with-a-long-name-" + i), "v" + i);
        }
        Path img = dir.resolve("htree.img");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(64L << 20);
        }
        E2fsprogs.Result mk = E2fsprogs.run("mkfs.ext4", "-q", "-F", "-b", "4096", "-d", src.toString(), img.toString());
        assertThat(mk.exit()).as(mk.output()).isZero();
        // mke2fs -d writes linear directories; e2fsck -D indexes them.
        E2fsprogs.Result index = E2fsprogs.run("e2fsck", "-fyD", img.toString());
        assertThat(index.exit()).as(index.output()).isLessThanOrEqualTo(1);
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            int big = fs.lookup("/big");
            assertThat(fs.inodes().read(big).i_flags() & Ext4.INDEX_FL).as("mke2fs made an htree").isNotZero();
            for (int i = 0; i < 400; i++) {
                int ino = fs.lookup("/big/entry-with-a-long-name-" + i);
                assertThat(new String(fs.readAll(ino))).isEqualTo("v" + i);
            }
            assertThat(fs.readdir(big)).hasSize(402);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> fs.create("/big/new", 0644))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("htree");
        }
    }

    @Test
    void extentInsertionInRandomOrderKeepsAValidTree() {
        Path img = dir.resolve("ins.img");
        Mkfs.format(img, MkfsOptions.defaults().withSize(256L << 20));
        int n = 3000;
        java.util.List<Integer> order = new java.util.ArrayList<>(java.util.stream.IntStream.range(0, n).boxed().toList());
        java.util.Collections.shuffle(order, new java.util.Random(9));
        java.util.Map<Long, Long> model = new java.util.TreeMap<>();
        int ino;
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            ino = fs.create("/ins", 0644);
            Inode inode = fs.inodes().read(ino);
            for (int k : order) {
                // Logical blocks 3k, physical far apart: nothing merges, every insert adds an entry.
                Mballoc.Run r = fs.mballoc().newBlocks(20000 + 2L * k, 1);
                fs.extents().insert(inode, new Extent(3L * k, 1, r.start()));
                inode.i_blocks(inode.i_blocks() + 8);
                model.put(3L * k, r.start());
            }
            inode.i_size(3L * (n - 1) * 4096 + 4096);
            fs.inodes().write(inode);
            java.util.List<Extent> got = fs.extents().extents(inode);
            assertThat(got).hasSize(n);
            for (Extent e : got) {
                assertThat(model.get(e.lblk())).isEqualTo(e.pblk());
            }
            assertThat(fs.extents().root(inode).header().depth()).isGreaterThanOrEqualTo(2);
        }
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(img);
        assertThat(fsck.exit()).as(fsck.output()).isZero();
    }

    @Test
    void metadataWritesAreReportedDataWritesAreNot() {
        Path img = dir.resolve("meta.img");
        Mkfs.format(img, MkfsOptions.defaults().withSize(64L << 20));
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            java.util.Set<Long> seen = new java.util.TreeSet<>();
            fs.setMetadataListener(seen::add);
            int f = fs.create("/f", 0644);
            fs.pwrite(f, 0, new byte[4096]);
            long data = fs.bmap(f, 0);
            long rootDir = fs.bmap(Ext4.ROOT_INO, 0);
            long itable = fs.group(0).bg_inode_table() + (f - 1) / 16;
            assertThat(seen).contains(rootDir, itable).doesNotContain(data, 0L, 1L);
            fs.flush();
            assertThat(seen).contains(0L, 1L, fs.group(0).bg_block_bitmap(), fs.group(0).bg_inode_bitmap()).doesNotContain(data);
        }
    }

    @Test
    void readingLeavesTheImageUntouched() throws java.io.IOException {
        Path img = dir.resolve("ro.img");
        Mkfs.format(img, MkfsOptions.defaults().withSize(64L << 20));
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            fs.pwrite(fs.create("/f", 0644), 0, "data".getBytes());
        }
        Path copy = dir.resolve("copy.img");
        java.nio.file.Files.copy(img, copy);
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            assertThat(new String(fs.readAll(fs.lookup("/f")))).isEqualTo("data");
            assertThat(fs.journalBlocks()).isEqualTo(1024);
        }
        assertThat(java.nio.file.Files.mismatch(img, copy)).isEqualTo(-1);
    }

    @Test
    void worksOnAMemoryDevice() {
        MemoryBlockDevice dev = new MemoryBlockDevice(4096, 16384);
        Mkfs.format(dev, MkfsOptions.defaults().withSize(64L << 20));
        Ext4Filesystem fs = Ext4Filesystem.open(dev);
        int f = fs.create("/x", 0600);
        fs.pwrite(f, 0, new byte[] {42});
        fs.flush();
        Ext4Filesystem again = Ext4Filesystem.open(dev);
        assertThat(again.readAll(again.lookup("/x"))).containsExactly(42);
        assertThat(again.readdir(Ext4.ROOT_INO)).extracting(DirEntry::nameString).isEqualTo(List.of(".", "..", "lost+found", "x"));
    }
}
