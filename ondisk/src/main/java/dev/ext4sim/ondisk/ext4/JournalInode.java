package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.Be;
import dev.ext4sim.ondisk.Le;
import java.util.ArrayList;
import java.util.List;

/**
 * The internal journal as mke2fs makes it (lib/ext2fs/mkjournal.c): inode 8, blocks allocated from the
 * first group of the middle of the filesystem (get_midpoint_journal_block), the JBD2 v2 superblock in its
 * block 0 (ext2fs_create_journal_superblock2), the inode's i_block and size copied into s_jnl_blocks.
 */
public final class JournalInode {
    public static final long JBD2_MAGIC = 0xC03B3998L;
    public static final int JBD2_SUPERBLOCK_V2 = 4;

    private JournalInode() {
    }

    /**
     * get_midpoint_journal_block: the middle group or a neighbour with more free blocks (the first of equals
     * wins); with flex_bg and a middle past the first flex group, the first group of its flex group that
     * has free blocks.
     */
    static long midpointJournalBlock(Ext4Filesystem fs) {
        Geometry geo = fs.geometry();
        int n = fs.groupCount();
        int group = geo.groupOfBlock((geo.blocksCount() - geo.firstDataBlock()) / 2);
        int logFlex = fs.superBlock().hasFlexBg() ? fs.superBlock().s_log_groups_per_flex() : 0;
        int flex = 1 << logFlex;
        int start;
        if (logFlex != 0 && group > flex) {
            group &= ~(flex - 1);
            while (group < n && fs.group(group).bg_free_blocks_count() == 0) {
                group++;
            }
            if (group == n) {
                group = 0;
            }
            start = group;
        } else {
            start = group > 0 ? group - 1 : group;
        }
        int end = group + 1 < n ? group + 1 : group;
        group = start;
        for (int i = start + 1; i <= end; i++) {
            if (fs.group(i).bg_free_blocks_count() > fs.group(group).bg_free_blocks_count()) {
                group = i;
            }
        }
        return geo.groupFirstBlock(group);
    }

    public static void create(Ext4Filesystem fs, int blocks) {
        Geometry geo = fs.geometry();
        long goal = midpointJournalBlock(fs);
        Inode j = new Inode(Ext4.JOURNAL_INO, new byte[geo.inodeSize()]);
        j.i_mode(Ext4.S_IFREG | 0600);
        j.i_links_count(1);
        j.i_extra_isize(Mkfs.EXTRA_ISIZE);
        j.setAllTimes(fs.currentTime());
        j.i_flags(Ext4.EXTENTS_FL);
        j.i_block(ExtentNode.leaf(ExtentTree.ROOT_MAX, 0, List.of()).toIBlock());
        List<Extent> extents = new ArrayList<>();
        long lblk = 0;
        while (lblk < blocks) {
            Mballoc.Run r = fs.mballoc().newBlocks(goal, (int) Math.min(Extent.INIT_MAX_LEN, blocks - lblk));
            extents.add(new Extent(lblk, r.len(), r.start()));
            lblk += r.len();
            goal = r.start() + r.len();
        }
        extents = ExtentTree.merge(extents);
        j.i_blocks((long) blocks * (fs.blockSize() / 512));
        j.i_size((long) blocks * fs.blockSize());
        fs.extents().store(j, extents);
        fs.inodes().write(j);

        byte[] jsb = new byte[fs.blockSize()];
        Be.u32(jsb, 0x0, JBD2_MAGIC);
        Be.u32(jsb, 0x4, JBD2_SUPERBLOCK_V2);
        Be.u32(jsb, 0xC, fs.blockSize());
        Be.u32(jsb, 0x10, blocks);
        Be.u32(jsb, 0x14, 1);
        Be.u32(jsb, 0x18, 1);
        System.arraycopy(fs.uuid(), 0, jsb, 0x30, 16);
        Be.u32(jsb, 0x40, 1);
        fs.writeMetadata(extents.getFirst().pblk(), jsb);

        SuperBlock sb = fs.superBlock();
        byte[] iblock = j.i_block();
        for (int i = 0; i < 15; i++) {
            sb.s_jnl_blocks(i, Le.u32(iblock, 4 * i));
        }
        sb.s_jnl_blocks(15, j.i_size() >>> 32);
        sb.s_jnl_blocks(16, j.i_size() & 0xFFFFFFFFL);
    }
}
