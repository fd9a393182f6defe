package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.BlockDevice;
import dev.ext4sim.ondisk.Le;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Test-only: finds the journal of an mke2fs image from the ext4 superblock's {@code s_jnl_blocks} backup of the
 * journal inode's {@code i_block} (an in-inode extent tree of depth 0) and its size. To be replaced by the ext4
 * codecs when the two halves are merged; kept in this one class for that reason.
 */
final class Ext4JournalLocator {
    static final int SB_OFFSET = 1024;

    record Geometry(int blockSize, long blocks, byte[] uuid, int incompat, List<JournalExtent> extents, long journalBlocks) {
        boolean is64bit() {
            return (incompat & 0x80) != 0;
        }
    }

    private Ext4JournalLocator() {
    }

    static byte[] superblock(Path image) {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(1024);
            ch.read(buf, SB_OFFSET);
            return buf.array();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Geometry read(Path image) {
        byte[] sb = superblock(image);
        if (Le.u16(sb, 0x38) != 0xEF53) {
            throw new IllegalStateException(image + " has no ext4 superblock");
        }
        int blockSize = 1024 << Le.s32(sb, 0x18);
        int incompat = Le.s32(sb, 0x60);
        long blocks = Le.u32(sb, 0x04) | ((incompat & 0x80) != 0 ? Le.u32(sb, 0x150) << 32 : 0);
        byte[] uuid = Arrays.copyOfRange(sb, 0x68, 0x78);
        int jnl = 0x10C;
        if (Le.u16(sb, jnl) != 0xF30A) {
            throw new IllegalStateException("s_jnl_blocks holds no extent header");
        }
        int entries = Le.u16(sb, jnl + 2);
        if (Le.u16(sb, jnl + 6) != 0) {
            throw new IllegalStateException("journal extent tree has depth > 0; this test reader handles depth 0 only");
        }
        List<JournalExtent> extents = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            int e = jnl + 12 + 12 * i;
            long logical = Le.u32(sb, e);
            int len = Le.u16(sb, e + 4);
            long physical = (long) Le.u16(sb, e + 6) << 32 | Le.u32(sb, e + 8);
            extents.add(new JournalExtent(logical, physical, len));
        }
        long size = Le.u32(sb, jnl + 15 * 4) << 32 | Le.u32(sb, jnl + 16 * 4);
        return new Geometry(blockSize, blocks, uuid, incompat, extents, size / blockSize);
    }

    static InodeJournalArea area(BlockDevice device, Geometry g) {
        return new InodeJournalArea(device, g.extents(), g.journalBlocks());
    }
}
