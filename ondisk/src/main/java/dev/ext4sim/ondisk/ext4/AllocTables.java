package dev.ext4sim.ondisk.ext4;

import java.util.BitSet;

/**
 * Where mkfs puts each group's block bitmap, inode bitmap and inode table (lib/ext2fs/alloc_tables.c),
 * on a whole-filesystem block map. Without flex_bg they follow the group's superblock/GDT copy; with
 * flex_bg the tables of a flex group are packed in its first group: all block bitmaps, then all inode
 * bitmaps, then all inode tables.
 */
final class AllocTables {
    /** Locations chosen for one group. */
    record Tables(long blockBitmap, long inodeBitmap, long inodeTable) {
    }

    private final Geometry geo;
    private final BitSet map;
    private final int logFlex;
    private final Tables[] tables;

    /** {@code map} has the superblock and GDT copies marked already; {@code logFlex} 0 means no flex_bg. */
    AllocTables(Geometry geo, BitSet map, int logFlex) {
        this.geo = geo;
        this.map = map;
        this.logFlex = logFlex;
        this.tables = new Tables[geo.groupCount()];
    }

    /** ext2fs_allocate_tables. */
    Tables[] allocate() {
        for (int g = 0; g < tables.length; g++) {
            tables[g] = allocateGroupTable(g);
        }
        return tables;
    }

    private long lastBlockOfGroup(int g) {
        return geo.groupFirstBlock(g) + geo.blocksInGroup(g) - 1;
    }

    private boolean rangeFree(long b, int num) {
        int next = map.nextSetBit((int) b);
        return next < 0 || next >= b + num;
    }

    /** ext2fs_get_free_blocks2: the first run of {@code num} free blocks from {@code start}, -1 if none before {@code finish}. */
    private long getFreeBlocks(long start, long finish, int num) {
        long b = start == 0 ? geo.firstDataBlock() : start;
        if (finish == 0) {
            finish = start;
        }
        do {
            if (b + num - 1 >= geo.blocksCount()) {
                if (finish > start) {
                    return -1;
                }
                b = geo.firstDataBlock();
            }
            if (rangeFree(b, num)) {
                return b;
            }
            b++;
        } while (b != finish);
        return -1;
    }

    /** flexbg_offset: where a flex group's run of tables can go, contiguous and in order if possible. */
    private long flexbgOffset(int group, long startBlk, int remGrp, int elemSize) {
        int flexSize = 1 << logFlex;
        int flexbg = group / flexSize;
        int size = Math.min(remGrp * elemSize, geo.blocksPerGroup() / 4);
        if (startBlk != 0 && startBlk < geo.blocksCount()) {
            long f = getFreeBlocks(startBlk, startBlk + size, elemSize);
            if (f >= 0) {
                return f;
            }
        }
        startBlk = geo.groupFirstBlock(flexSize * flexbg);
        int lastGrp = Math.min(group | (flexSize - 1), tables.length - 1);
        long lastBlk = lastBlockOfGroup(lastGrp);
        long f = getFreeBlocks(startBlk, lastBlk, size);
        if (f < 0) {
            f = getFreeBlocks(startBlk, lastBlk, elemSize);
        }
        if (f < 0) {
            f = getFreeBlocks(0, lastBlk, elemSize);
        }
        return Math.max(f, 0);
    }

    private long take(long start, long last, long groupBlk, int num) {
        long b = getFreeBlocks(start, last, num);
        if (b < 0) {
            b = getFreeBlocks(groupBlk, last, num);
        }
        if (b < 0) {
            throw new IllegalArgumentException("no room for the group tables; the filesystem is too small");
        }
        map.set((int) b, (int) (b + num));
        return b;
    }

    /** ext2fs_allocate_group_table (no stride). */
    private Tables allocateGroupTable(int group) {
        long groupBlk = geo.groupFirstBlock(group);
        long lastBlk = lastBlockOfGroup(group);
        int itb = geo.inodeTableBlocks();
        if (logFlex == 0) {
            long bb = take(groupBlk, lastBlk, groupBlk, 1);
            long ib = take(groupBlk, lastBlk, groupBlk, 1);
            long it = take(groupBlk, lastBlk, groupBlk, itb);
            return new Tables(bb, ib, it);
        }
        int flexSize = 1 << logFlex;
        int lastGrp = Math.min(group | (flexSize - 1), tables.length - 1);
        int remGrps = lastGrp - group + 1;
        int tableOffset = flexSize;
        long prev = 0;
        if (group % flexSize != 0) {
            prev = tables[group - 1].blockBitmap() + 1;
        } else if (lastGrp == tables.length - 1) {
            // The last flex group keeps its tables contiguous.
            tableOffset = lastGrp & (flexSize - 1);
            tableOffset = tableOffset == 0 ? flexSize : tableOffset + 1;
        }
        long flexLast = lastBlockOfGroup(lastGrp);
        long bb = take(flexbgOffset(group, prev, remGrps, 1), flexLast, groupBlk, 1);

        prev = group % flexSize != 0 ? tables[group - 1].inodeBitmap() + 1 : bb + tableOffset;
        long ib = take(flexbgOffset(group, prev, remGrps, 1), flexLast, groupBlk, 1);

        prev = group % flexSize != 0 ? tables[group - 1].inodeTable() + itb : ib + tableOffset;
        long start = flexbgOffset(group, prev, remGrps, itb);
        long it = getFreeBlocks(start, flexLast, itb);
        if (it < 0) {
            throw new IllegalArgumentException("no room for the inode table of group " + group);
        }
        map.set((int) it, (int) (it + itb));
        return new Tables(bb, ib, it);
    }
}
