package dev.ext4sim.ondisk.ext4;

/**
 * Block-group arithmetic of balloc.c (ext4_bg_has_super, ext4_bg_num_gdb, ext4_group_first_block_no),
 * fixed at mkfs time and read from the superblock afterwards.
 */
public record Geometry(int blockSize, long blocksCount, long firstDataBlock, int blocksPerGroup, int inodesPerGroup,
                       int inodeSize, int descSize, boolean sparseSuper, int reservedGdtBlocks) {

    /** Without reserved GDT blocks (no resize_inode), as this library's mkfs makes them. */
    public Geometry(int blockSize, long blocksCount, long firstDataBlock, int blocksPerGroup, int inodesPerGroup,
                    int inodeSize, int descSize, boolean sparseSuper) {
        this(blockSize, blocksCount, firstDataBlock, blocksPerGroup, inodesPerGroup, inodeSize, descSize, sparseSuper, 0);
    }

    public static Geometry of(SuperBlock sb) {
        return new Geometry(sb.blockSize(), sb.s_blocks_count(), sb.s_first_data_block(), sb.s_blocks_per_group(),
                sb.s_inodes_per_group(), sb.s_inode_size(), sb.descSize(),
                (sb.s_feature_ro_compat() & Ext4.RO_COMPAT_SPARSE_SUPER) != 0, sb.s_reserved_gdt_blocks());
    }

    public int groupCount() {
        return (int) ((blocksCount - firstDataBlock + blocksPerGroup - 1) / blocksPerGroup);
    }

    public long groupFirstBlock(int group) {
        return firstDataBlock + (long) group * blocksPerGroup;
    }

    /** Blocks in {@code group}: blocks_per_group except possibly in the last group. */
    public int blocksInGroup(int group) {
        long left = blocksCount - groupFirstBlock(group);
        return (int) Math.min(blocksPerGroup, left);
    }

    public int groupOfBlock(long block) {
        return (int) ((block - firstDataBlock) / blocksPerGroup);
    }

    public int groupOfInode(int ino) {
        return (ino - 1) / inodesPerGroup;
    }

    public int descsPerBlock() {
        return blockSize / descSize;
    }

    /** Blocks of the group descriptor table. */
    public int gdtBlocks() {
        return (groupCount() + descsPerBlock() - 1) / descsPerBlock();
    }

    public int inodeTableBlocks() {
        return (int) (((long) inodesPerGroup * inodeSize + blockSize - 1) / blockSize);
    }

    /** ext4_bg_has_super: groups 0, 1 and powers of 3, 5, 7 carry a superblock copy under sparse_super. */
    public boolean hasSuper(int group) {
        if (group == 0 || !sparseSuper) {
            return true;
        }
        if (group == 1) {
            return true;
        }
        return isPower(group, 3) || isPower(group, 5) || isPower(group, 7);
    }

    private static boolean isPower(int n, int base) {
        long p = base;
        while (p < n) {
            p *= base;
        }
        return p == n;
    }

    /**
     * ext4_num_base_meta_blocks: superblock, GDT and reserved GDT blocks (resize_inode) at the start of
     * {@code group}, 0 if it has no copy.
     */
    public int superAndGdtBlocks(int group) {
        return hasSuper(group) ? 1 + gdtBlocks() + reservedGdtBlocks : 0;
    }
}
