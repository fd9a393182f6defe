package dev.ext4sim.ondisk.ext4;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.ondisk.OnDiskException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged images: each defect gives an OnDiskException naming the structure and the block. */
class BadInputTest {
    @TempDir
    Path dir;
    Path img;
    int fileIno;
    long fileLeafBlock;
    long rootDirBlock;
    long inodeBlockOfFile;

    @BeforeEach
    void image() {
        img = dir.resolve("bad.img");
        Mkfs.format(img, MkfsOptions.defaults().withSize(256L << 20).withUuid(new UUID(7, 7)).withTimestamp(1_700_000_000L));
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            fileIno = fs.create("/f", 0644);
            for (int k = 0; k < 6; k++) {
                fs.pwrite(fileIno, k * 2L * 4096, new byte[] {1, 2, 3});
            }
            Inode inode = fs.inodes().read(fileIno);
            assertThat(fs.extents().root(inode).header().depth()).isEqualTo(1);
            fileLeafBlock = fs.extents().treeBlocks(inode).getFirst();
            rootDirBlock = fs.bmap(Ext4.ROOT_INO, 0);
            inodeBlockOfFile = fs.group(0).bg_inode_table() + (fileIno - 1) / 16;
        }
    }

    private void flip(long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x10);
        }
    }

    private void truncate(long bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(bytes);
        }
    }

    @Test
    void truncatedImage() throws IOException {
        truncate(100L << 20);
        assertThatThrownBy(() -> Ext4Filesystem.open(img)).isInstanceOf(OnDiskException.class)
                .hasMessageContaining("image at block 25600").hasMessageContaining("truncated")
                .satisfies(e -> assertThat(((OnDiskException) e).block()).isEqualTo(25600));
    }

    @Test
    void imageTooShortForASuperblock() throws IOException {
        truncate(1500);
        assertThatThrownBy(() -> Ext4Filesystem.open(img)).isInstanceOf(OnDiskException.class)
                .hasMessageContaining("superblock").hasMessageContaining("truncated");
    }

    @Test
    void wrongMagic() throws IOException {
        flip(1024 + 0x38);
        assertThatThrownBy(() -> Ext4Filesystem.open(img)).isInstanceOf(OnDiskException.class)
                .hasMessageContaining("superblock at block 0").hasMessageContaining("bad magic");
    }

    @Test
    void superblockChecksum() throws IOException {
        flip(1024 + 0x78); // s_volume_name, checksum not updated
        assertThatThrownBy(() -> Ext4Filesystem.open(img)).isInstanceOf(OnDiskException.class)
                .hasMessageContaining("superblock at block 0: checksum mismatch").hasMessageContaining("e2fsck");
    }

    @Test
    void groupDescriptorChecksum() throws IOException {
        flip(4096 + 64 * 1 + 0x10); // group 1's bg_used_dirs_count
        assertThatThrownBy(() -> Ext4Filesystem.open(img)).isInstanceOf(OnDiskException.class)
                .hasMessageContaining("group descriptor 1 at block 1: checksum mismatch").hasMessageContaining("e2fsck");
    }

    @Test
    void blockBitmapChecksum() throws IOException {
        long bitmap;
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            bitmap = fs.group(1).bg_block_bitmap();
        }
        flip(bitmap * 4096 + 2000);
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            assertThatThrownBy(() -> fs.bitmaps().blockBitmap(1)).isInstanceOf(OnDiskException.class)
                    .hasMessageContaining("block bitmap of group 1 at block " + bitmap + ": checksum mismatch");
        }
    }

    @Test
    void inodeChecksum() throws IOException {
        flip(inodeBlockOfFile * 4096 + (long) ((fileIno - 1) % 16) * 256 + 0x10); // i_mtime
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            assertThatThrownBy(() -> fs.inodes().read(fileIno)).isInstanceOf(OnDiskException.class)
                    .hasMessageContaining("inode " + fileIno + " at block " + inodeBlockOfFile + ": checksum mismatch");
        }
    }

    @Test
    void extentBlockChecksum() throws IOException {
        flip(fileLeafBlock * 4096 + 12 + 4); // ee_len of the first extent
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            assertThatThrownBy(() -> fs.readAll(fileIno)).isInstanceOf(OnDiskException.class)
                    .hasMessageContaining("extent tree block of inode " + fileIno + " at block " + fileLeafBlock + ": checksum mismatch");
        }
    }

    @Test
    void extentBlockBadMagic() throws IOException {
        flip(fileLeafBlock * 4096);
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            assertThatThrownBy(() -> fs.bmap(fileIno, 0)).isInstanceOf(OnDiskException.class)
                    .hasMessageContaining("extent tree block of inode " + fileIno + " at block " + fileLeafBlock + ": bad extent header magic");
        }
    }

    @Test
    void directoryBlockChecksum() throws IOException {
        flip(rootDirBlock * 4096 + 24 + 8); // a byte of "lost+found"
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            assertThatThrownBy(() -> fs.lookup("/f")).isInstanceOf(OnDiskException.class)
                    .hasMessageContaining("directory block 0 of inode 2 at block " + rootDirBlock + ": checksum mismatch");
        }
    }

    @Test
    void unsupportedFeaturesAreRefused() throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            byte[] sb = new byte[1024];
            f.seek(1024);
            f.readFully(sb);
            dev.ext4sim.ondisk.Le.u32(sb, 0x64, dev.ext4sim.ondisk.Le.u32(sb, 0x64) | 0x200); // bigalloc
            SuperBlock view = new SuperBlock(sb);
            view.updateChecksum();
            f.seek(1024);
            f.write(sb);
        }
        assertThatThrownBy(() -> Ext4Filesystem.open(img)).isInstanceOf(OnDiskException.class)
                .hasMessageContaining("superblock at block 0").hasMessageContaining("ro_compat features 0x200");
    }

    @Test
    void badArgumentsAreIllegalArguments() {
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            assertThatThrownBy(() -> fs.create("/f", 0644)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already exists");
            assertThatThrownBy(() -> fs.create("relative", 0644)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not absolute");
            assertThatThrownBy(() -> fs.mkdir("/nope/x", 0755)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a directory");
            assertThatThrownBy(() -> fs.inodes().read(0)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
