package dev.ext4sim.ondisk.ext4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ImageFile;
import dev.ext4sim.ondisk.Le;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image made by mke2fs -d from a populated directory: every structure decoded with our codecs and
 * encoded back gives the same bytes, and every stored checksum equals the one we compute. Then the
 * filesystem API reads every file back.
 */
class RoundTripTest {
    @TempDir
    Path dir;

    private int sparseFiles;
    private int deepTrees;
    private int dirBlocks;
    private int multiBlockDirs;
    private int inodesChecked;

    @ParameterizedTest(name = "64bit {0}")
    @ValueSource(booleans = {true, false})
    void mke2fsImageRoundTripsExactly(boolean bit64) throws IOException {
        Path src = dir.resolve("src");
        populate(src);
        Path img = dir.resolve("mke2fs.img");
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(256L << 20);
        }
        // Linear directories (no dir_index); the other mke2fs ext4 defaults stay, flex_bg and resize_inode included.
        E2fsprogs.Result mk = E2fsprogs.run(Map.of("E2FSPROGS_FAKE_TIME", "1700000000"), "mkfs.ext4", "-q", "-F", "-b", "4096",
                "-O", "^dir_index" + (bit64 ? "" : ",^64bit"), "-d", src.toString(), img.toString());
        assertThat(mk.exit()).as(mk.output()).isZero();
        assertThat(E2fsprogs.debugfs(img, "ex /sparse/holes").output()).as("mke2fs gave the sparse file an index level").contains("1/ 1");

        try (ImageFile dev = ImageFile.open(img, 4096)) {
            checkEveryStructure(dev);
        }
        assertThat(deepTrees).as("inodes with an extent tree of depth >= 1").isGreaterThanOrEqualTo(1);
        assertThat(multiBlockDirs).as("directories of several blocks").isGreaterThanOrEqualTo(1);
        assertThat(inodesChecked).isGreaterThan(300);

        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            try (var walk = Files.walk(src)) {
                for (Path p : walk.filter(Files::isRegularFile).toList()) {
                    String path = "/" + src.relativize(p).toString().replace('\\', '/');
                    int ino = fs.lookup(path);
                    assertThat(ino).as(path).isPositive();
                    assertThat(fs.readAll(ino)).as(path).isEqualTo(Files.readAllBytes(p));
                }
            }
        }
    }

    private void checkEveryStructure(ImageFile dev) {
        byte[] block0 = dev.read(0);
        byte[] sbRaw = Arrays.copyOfRange(block0, 1024, 2048);
        SuperBlock sb = new SuperBlock(sbRaw.clone());
        sb.verify(0);
        assertThat(sb.computeChecksum()).isEqualTo(sb.s_checksum());
        sb.s_checksum(0);
        sb.updateChecksum();
        assertThat(sb.raw()).as("superblock re-encoded").isEqualTo(sbRaw);
        Geometry geo = Geometry.of(sb);
        int seed = sb.csumSeed();

        // Backup superblocks: same checksum rule, their own group number.
        for (int g = 1; g < geo.groupCount(); g++) {
            if (geo.hasSuper(g)) {
                SuperBlock backup = new SuperBlock(Arrays.copyOf(dev.read(geo.groupFirstBlock(g)), 1024));
                backup.verify(geo.groupFirstBlock(g));
                assertThat(backup.s_block_group_nr()).isEqualTo(g);
            }
        }

        byte[] gdt = dev.read(1);
        for (int g = 0; g < geo.groupCount(); g++) {
            GroupDesc gd = new GroupDesc(gdt, g * geo.descSize(), geo.descSize());
            assertThat(gd.computeChecksum(seed, g)).as("group %d descriptor checksum", g).isEqualTo(gd.bg_checksum());
            byte[] copy = gdt.clone();
            GroupDesc gd2 = new GroupDesc(copy, g * geo.descSize(), geo.descSize());
            gd2.bg_checksum(0);
            gd2.updateChecksum(seed, g);
            assertThat(copy).isEqualTo(gdt);
            if ((gd.bg_flags() & Ext4.BG_BLOCK_UNINIT) == 0) {
                long want = Bitmaps.checksum(seed, dev.read(gd.bg_block_bitmap()), sb.s_clusters_per_group() / 8) & gd.bitmapCsumMask();
                assertThat(want).as("group %d block bitmap checksum", g).isEqualTo(gd.bg_block_bitmap_csum() & gd.bitmapCsumMask());
            }
            if ((gd.bg_flags() & Ext4.BG_INODE_UNINIT) == 0) {
                byte[] ib = dev.read(gd.bg_inode_bitmap());
                long want = Bitmaps.checksum(seed, ib, geo.inodesPerGroup() / 8) & gd.bitmapCsumMask();
                assertThat(want).as("group %d inode bitmap checksum", g).isEqualTo(gd.bg_inode_bitmap_csum() & gd.bitmapCsumMask());
                int used = geo.inodesPerGroup() - gd.bg_itable_unused();
                for (int i = 0; i < used; i++) {
                    if (Bitmaps.test(ib, i)) {
                        checkInode(dev, geo, seed, gd, g * geo.inodesPerGroup() + i + 1);
                    }
                }
            }
        }
    }

    private void checkInode(ImageFile dev, Geometry geo, int seed, GroupDesc gd, int ino) {
        int idx = (ino - 1) % geo.inodesPerGroup();
        long block = gd.bg_inode_table() + (long) idx * geo.inodeSize() / geo.blockSize();
        int off = idx * geo.inodeSize() % geo.blockSize();
        byte[] slot = Arrays.copyOfRange(dev.read(block), off, off + geo.inodeSize());
        Inode inode = new Inode(ino, slot.clone());
        inodesChecked++;
        if (inode.isAllZero()) {
            return;
        }
        assertThat(inode.computeChecksum(seed)).as("inode %d checksum", ino).isEqualTo(inode.i_checksum());
        Inode again = new Inode(ino, slot.clone());
        Le.u16(again.raw(), Inode.I_CHECKSUM_LO, 0);
        again.updateChecksum(seed);
        assertThat(again.raw()).as("inode %d re-encoded", ino).isEqualTo(slot);
        if (!inode.hasExtents() || inode.i_links_count() == 0) {
            return;
        }
        ExtentNode root = ExtentNode.decode(slot, Inode.I_BLOCK, ExtentTree.ROOT_MAX, "inode " + ino, block);
        assertThat(root.toIBlock()).as("inode %d extent root re-encoded", ino).isEqualTo(inode.i_block());
        if (root.header().depth() > 0) {
            deepTrees++;
        }
        java.util.List<Extent> extents = new java.util.ArrayList<>();
        walk(dev, geo, seed, inode, root, extents);
        if (inode.isDir()) {
            if (extents.stream().mapToInt(Extent::len).sum() > 1) {
                multiBlockDirs++;
            }
            for (Extent e : extents) {
                for (int k = 0; k < e.len(); k++) {
                    byte[] raw = dev.read(e.pblk() + k);
                    DirBlock db = DirBlock.decode(raw, true, "dir", e.pblk() + k);
                    assertThat(DirBlock.checksum(seed, ino, inode.i_generation(), raw)).as("dir block checksum of inode %d", ino)
                            .isEqualTo(DirBlock.storedChecksum(raw));
                    byte[] enc = db.encode(geo.blockSize());
                    DirBlock.setChecksum(seed, ino, inode.i_generation(), enc);
                    assertThat(enc).as("dir block %d of inode %d re-encoded", e.pblk() + k, ino).isEqualTo(raw);
                    // mke2fs leaves no stale bytes, so the records alone, on zeros, give the block too.
                    byte[] fromZeros = new DirBlock(db.entries(), true).encode(geo.blockSize());
                    DirBlock.setChecksum(seed, ino, inode.i_generation(), fromZeros);
                    assertThat(fromZeros).as("dir block %d of inode %d from its records alone", e.pblk() + k, ino).isEqualTo(raw);
                    dirBlocks++;
                }
            }
        }
    }

    private void walk(ImageFile dev, Geometry geo, int seed, Inode inode, ExtentNode node, java.util.List<Extent> out) {
        if (node.isLeaf()) {
            out.addAll(node.extents());
            return;
        }
        for (ExtentIdx x : node.indexes()) {
            byte[] raw = dev.read(x.leaf());
            ExtentNode child = ExtentNode.decode(raw, 0, ExtentNode.maxInBlock(geo.blockSize()), "tree", x.leaf());
            int max = child.header().max();
            assertThat(ExtentNode.blockChecksum(seed, inode.ino(), inode.i_generation(), raw))
                    .as("extent block %d checksum", x.leaf()).isEqualTo((int) Le.u32(raw, ExtentNode.tailOffset(max)));
            assertThat(child.toBlock(geo.blockSize(), seed, inode.ino(), inode.i_generation(), true))
                    .as("extent block %d of inode %d re-encoded", x.leaf(), inode.ino()).isEqualTo(raw);
            walk(dev, geo, seed, inode, child, out);
        }
    }

    /** Nested dirs, many small files, a directory of 300 long names, a file with ten data runs between holes. */
    private static void populate(Path src) throws IOException {
        Random rnd = new Random(42);
        Files.createDirectories(src.resolve("a/b/c"));
        Files.createDirectories(src.resolve("many"));
        Files.createDirectories(src.resolve("sparse"));
        for (int i = 0; i < 60; i++) {
            Path d = src.resolve(i % 3 == 0 ? "a" : i % 3 == 1 ? "a/b" : "a/b/c");
            byte[] b = new byte[rnd.nextInt(20000)];
            rnd.nextBytes(b);
            Files.write(d.resolve("file" + i), b);
        }
        for (int i = 0; i < 300; i++) {
            Files.write(src.resolve("many/entry-with-a-longish-name-number-" + i), ("#" + i).getBytes());
        }
        try (RandomAccessFile f = new RandomAccessFile(src.resolve("sparse/holes").toFile(), "rw")) {
            byte[] b = new byte[4096];
            for (int k = 0; k < 10; k++) {
                rnd.nextBytes(b);
                f.seek((long) k * 65536);
                f.write(b);
            }
        }
    }
}
