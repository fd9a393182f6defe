package dev.ext4sim.ondisk.ext4;

/**
 * The inode allocator (ialloc.c, simplified): directories go to the group with the most free inodes, which
 * spreads them as find_group_orlov tends to; other inodes stay in their parent's group
 * (find_group_other). Keeps bg_free_inodes_count, bg_used_dirs_count and bg_itable_unused right.
 */
public final class Ialloc {
    private final Ext4Filesystem fs;

    Ialloc(Ext4Filesystem fs) {
        this.fs = fs;
    }

    /** __ext4_new_inode's bookkeeping: picks and marks a free inode; the caller initialises and writes it. */
    public int newInode(int parentIno, boolean dir) {
        Geometry geo = fs.geometry();
        int n = fs.groupCount();
        int start = geo.groupOfInode(parentIno);
        if (dir) {
            int best = -1;
            for (int g = 0; g < n; g++) {
                GroupDesc gd = fs.group(g);
                if (gd.bg_free_inodes_count() > 0 && gd.bg_free_blocks_count() > 0
                        && (best < 0 || gd.bg_free_inodes_count() > fs.group(best).bg_free_inodes_count())) {
                    best = g;
                }
            }
            if (best >= 0) {
                start = best;
            }
        }
        for (int k = 0; k < n; k++) {
            int g = (start + k) % n;
            GroupDesc gd = fs.group(g);
            if (gd.bg_free_inodes_count() == 0) {
                continue;
            }
            byte[] map = fs.bitmaps().inodeBitmap(g);
            int from = g == 0 ? fs.superBlock().s_first_ino() : 0;
            int bit = Bitmaps.findNextZero(map, from, geo.inodesPerGroup());
            if (bit < 0) {
                continue;
            }
            Bitmaps.set(map, bit);
            fs.bitmaps().markInodeDirty(g);
            gd.bg_free_inodes_count(gd.bg_free_inodes_count() - 1);
            if (dir) {
                gd.bg_used_dirs_count(gd.bg_used_dirs_count() + 1);
            }
            int unusedFrom = geo.inodesPerGroup() - gd.bg_itable_unused();
            if (bit >= unusedFrom) {
                gd.bg_itable_unused(geo.inodesPerGroup() - bit - 1);
            }
            return g * geo.inodesPerGroup() + bit + 1;
        }
        throw new NoSpaceException("no free inode");
    }

    /** ext4_free_inode's bookkeeping: the bitmap bit and the group counters (the slot is the caller's). */
    public void freeInode(int ino, boolean dir) {
        Geometry geo = fs.geometry();
        int g = geo.groupOfInode(ino);
        int bit = (ino - 1) % geo.inodesPerGroup();
        byte[] map = fs.bitmaps().inodeBitmap(g);
        if (!Bitmaps.test(map, bit)) {
            throw new IllegalArgumentException("freeing inode " + ino + ", which is not in use");
        }
        Bitmaps.clear(map, bit);
        fs.bitmaps().markInodeDirty(g);
        GroupDesc gd = fs.group(g);
        gd.bg_free_inodes_count(gd.bg_free_inodes_count() + 1);
        if (dir) {
            gd.bg_used_dirs_count(gd.bg_used_dirs_count() - 1);
        }
    }

    /** A fresh inode as __ext4_new_inode fills it: extents, extra isize 32, empty extent root, times now. */
    public Inode initInode(int ino, int mode, int links) {
        Inode inode = new Inode(ino, new byte[fs.geometry().inodeSize()]);
        inode.i_mode(mode);
        inode.i_links_count(links);
        if (fs.geometry().inodeSize() > Inode.GOOD_OLD_INODE_SIZE) {
            inode.i_extra_isize(32);
        }
        inode.setAllTimes(fs.currentTime());
        inode.i_flags(Ext4.EXTENTS_FL);
        inode.i_generation(ino * 0x9E3779B9);
        inode.i_block(ExtentNode.leaf(4, 0, java.util.List.of()).toIBlock());
        return inode;
    }
}
