package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.BlockDevice;
import dev.ext4sim.ondisk.OnDiskException;

/**
 * The block and inode bitmaps of every group, read on first use (ext4_read_block_bitmap,
 * ext4_read_inode_bitmap) with their checksums verified, kept in memory, written back by {@link #writeDirty}.
 * A group flagged BLOCK_UNINIT / INODE_UNINIT has no bitmap on disk yet: it is built as
 * ext4_init_block_bitmap does.
 */
public final class GroupBitmaps {
    private final Ext4Filesystem fs;
    private final byte[][] block;
    private final byte[][] inode;
    private final boolean[] blockDirty;
    private final boolean[] inodeDirty;

    GroupBitmaps(Ext4Filesystem fs) {
        this.fs = fs;
        int n = fs.groupCount();
        block = new byte[n][];
        inode = new byte[n][];
        blockDirty = new boolean[n];
        inodeDirty = new boolean[n];
    }

    /** The live block bitmap of group {@code g}; call {@link #markBlockDirty} after changing it. */
    public byte[] blockBitmap(int g) {
        if (block[g] == null) {
            block[g] = loadBlockBitmap(g);
        }
        return block[g];
    }

    public byte[] inodeBitmap(int g) {
        if (inode[g] == null) {
            inode[g] = loadInodeBitmap(g);
        }
        return inode[g];
    }

    public void markBlockDirty(int g) {
        blockDirty[g] = true;
        fs.markDirty();
        GroupDesc gd = fs.group(g);
        gd.bg_flags(gd.bg_flags() & ~Ext4.BG_BLOCK_UNINIT);
    }

    public void markInodeDirty(int g) {
        inodeDirty[g] = true;
        fs.markDirty();
        GroupDesc gd = fs.group(g);
        gd.bg_flags(gd.bg_flags() & ~Ext4.BG_INODE_UNINIT);
    }

    private byte[] loadBlockBitmap(int g) {
        GroupDesc gd = fs.group(g);
        Geometry geo = fs.geometry();
        BlockDevice dev = fs.device();
        if ((gd.bg_flags() & Ext4.BG_BLOCK_UNINIT) != 0) {
            byte[] map = new byte[geo.blockSize()];
            long first = geo.groupFirstBlock(g);
            Bitmaps.setRange(map, 0, geo.superAndGdtBlocks(g));
            for (long b : new long[] {gd.bg_block_bitmap(), gd.bg_inode_bitmap()}) {
                if (geo.groupOfBlock(b) == g) {
                    Bitmaps.set(map, (int) (b - first));
                }
            }
            for (int i = 0; i < geo.inodeTableBlocks(); i++) {
                long b = gd.bg_inode_table() + i;
                if (geo.groupOfBlock(b) == g) {
                    Bitmaps.set(map, (int) (b - first));
                }
            }
            Bitmaps.markEnd(map, geo.blocksInGroup(g));
            return map;
        }
        byte[] map = dev.read(gd.bg_block_bitmap());
        if (fs.hasMetadataCsum()) {
            long want = Bitmaps.checksum(fs.csumSeed(), map, fs.superBlock().s_clusters_per_group() / 8) & gd.bitmapCsumMask();
            long have = gd.bg_block_bitmap_csum() & gd.bitmapCsumMask();
            if (want != have) {
                throw new OnDiskException("block bitmap of group " + g, gd.bg_block_bitmap(), String.format(
                        "checksum mismatch: stored 0x%X, computed 0x%X; run e2fsck", have, want));
            }
        }
        return map;
    }

    private byte[] loadInodeBitmap(int g) {
        GroupDesc gd = fs.group(g);
        Geometry geo = fs.geometry();
        if ((gd.bg_flags() & Ext4.BG_INODE_UNINIT) != 0) {
            byte[] map = new byte[geo.blockSize()];
            Bitmaps.markEnd(map, geo.inodesPerGroup());
            return map;
        }
        byte[] map = fs.device().read(gd.bg_inode_bitmap());
        if (fs.hasMetadataCsum()) {
            long want = Bitmaps.checksum(fs.csumSeed(), map, geo.inodesPerGroup() / 8) & gd.bitmapCsumMask();
            long have = gd.bg_inode_bitmap_csum() & gd.bitmapCsumMask();
            if (want != have) {
                throw new OnDiskException("inode bitmap of group " + g, gd.bg_inode_bitmap(), String.format(
                        "checksum mismatch: stored 0x%X, computed 0x%X; run e2fsck", have, want));
            }
        }
        return map;
    }

    /** Writes the changed bitmaps and stores their checksums in the descriptors (which the caller then writes). */
    public void writeDirty() {
        for (int g = 0; g < block.length; g++) {
            GroupDesc gd = fs.group(g);
            if (blockDirty[g]) {
                if (fs.hasMetadataCsum()) {
                    gd.bg_block_bitmap_csum(Bitmaps.checksum(fs.csumSeed(), block[g], fs.superBlock().s_clusters_per_group() / 8));
                }
                fs.writeMetadata(gd.bg_block_bitmap(), block[g]);
                blockDirty[g] = false;
            }
            if (inodeDirty[g]) {
                if (fs.hasMetadataCsum()) {
                    gd.bg_inode_bitmap_csum(Bitmaps.checksum(fs.csumSeed(), inode[g], fs.geometry().inodesPerGroup() / 8));
                }
                fs.writeMetadata(gd.bg_inode_bitmap(), inode[g]);
                inodeDirty[g] = false;
            }
        }
    }
}
