package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.OnDiskException;
import java.util.Arrays;

/**
 * Inode slots in the inode tables (ext4_iget / ext4_mark_inode_dirty): read with the checksum verified,
 * written through at once with the checksum set.
 */
public final class InodeTable {
    private final Ext4Filesystem fs;

    InodeTable(Ext4Filesystem fs) {
        this.fs = fs;
    }

    private void checkIno(int ino) {
        long count = fs.superBlock().s_inodes_count();
        if (ino < 1 || ino > count) {
            throw new IllegalArgumentException("inode number " + ino + " outside 1.." + count);
        }
    }

    private int offsetInBlock(int ino) {
        int size = fs.geometry().inodeSize();
        return (int) ((long) ((ino - 1) % fs.geometry().inodesPerGroup()) * size % fs.blockSize());
    }

    /** The inode as stored, its checksum verified unless the slot is all zero. */
    public Inode read(int ino) {
        checkIno(ino);
        long block = fs.inodeTableBlock(ino);
        byte[] blk = fs.device().read(block);
        int off = offsetInBlock(ino);
        Inode inode = new Inode(ino, Arrays.copyOfRange(blk, off, off + fs.geometry().inodeSize()));
        if (fs.hasMetadataCsum() && !inode.isAllZero()) {
            int want = inode.computeChecksum(fs.csumSeed());
            if (want != inode.i_checksum()) {
                throw new OnDiskException("inode " + ino, block, String.format(
                        "checksum mismatch: stored 0x%08X, computed 0x%08X; run e2fsck", inode.i_checksum(), want));
            }
        }
        return inode;
    }

    /** Sets the checksum and writes the slot into its inode table block. */
    public void write(Inode inode) {
        checkIno(inode.ino());
        if (fs.hasMetadataCsum()) {
            inode.updateChecksum(fs.csumSeed());
        }
        long block = fs.inodeTableBlock(inode.ino());
        byte[] blk = fs.device().read(block);
        System.arraycopy(inode.raw(), 0, blk, offsetInBlock(inode.ino()), inode.raw().length);
        fs.writeMetadata(block, blk);
    }
}
