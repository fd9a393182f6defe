package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.BlockDevice;
import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.Ext4Journal;
import dev.ext4sim.ondisk.ext4.SuperBlock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/** Test-only: the journal of an image as the ext4 codecs find it (inode 8's extents), for the jbd2 tests. */
final class Ext4JournalLocator {
    static final int SB_OFFSET = 1024;

    record Geometry(int blockSize, long blocks, byte[] uuid, boolean is64bit, List<JournalExtent> extents, long journalBlocks) {
    }

    private Ext4JournalLocator() {
    }

    static SuperBlock superblock(Path image) {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(SuperBlock.SIZE);
            ch.read(buf, SB_OFFSET);
            return new SuperBlock(buf.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Geometry read(Path image) {
        try (Ext4Filesystem fs = Ext4Filesystem.open(image)) {
            InodeJournalArea area = Ext4Journal.area(fs);
            List<JournalExtent> extents = fs.journalExtents().stream()
                    .map(e -> new JournalExtent(e.lblk(), e.pblk(), e.len())).toList();
            return new Geometry(fs.blockSize(), fs.geometry().blocksCount(), fs.uuid(), fs.is64bit(), extents, area.maxlen());
        }
    }

    static InodeJournalArea area(BlockDevice device, Geometry g) {
        return new InodeJournalArea(device, g.extents(), g.journalBlocks());
    }
}
