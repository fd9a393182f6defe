package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.BlockDevice;
import dev.ext4sim.ondisk.ImageFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.UUID;

/**
 * mke2fs for ext4 with 4 KiB blocks and 256-byte inodes (misc/mke2fs.c, lib/ext2fs/initialize.c): the
 * geometry as ext2fs_initialize computes it, group tables placed as alloc_tables.c places them (per group,
 * or packed per flex group with flex_bg), root and
 * lost+found, the journal inode (lib/ext2fs/mkjournal.c) in the middle group, backups by sparse_super.
 *
 * <p>Only blocks that hold something are written: the device must read zeros elsewhere, as a freshly
 * created sparse image does, which is what ITABLE_ZEROED then promises.
 */
public final class Mkfs {
    public static final int INODE_SIZE = 256;
    public static final int EXTRA_ISIZE = 32;
    static final int LOST_AND_FOUND_BYTES = 16384;
    /** mke2fs's default flex_bg size: 16 groups. */
    static final int LOG_GROUPS_PER_FLEX = 4;

    private Mkfs() {
    }

    /** Creates a sparse image at {@code path} of the options' size and formats it. */
    public static void format(Path path, MkfsOptions options) {
        try (ImageFile img = ImageFile.create(path, options.sizeBytes(), MkfsOptions.BLOCK_SIZE)) {
            format(img, options);
        }
    }

    /** ext2fs_default_journal_size (lib/ext2fs/mkjournal.c): journal blocks for a filesystem of {@code blocks}. */
    public static int defaultJournalBlocks(long blocks) {
        if (blocks < 2048) {
            return -1;
        }
        if (blocks < 32768) return 1024;
        if (blocks < 256 * 1024) return 4096;
        if (blocks < 512 * 1024) return 8192;
        if (blocks < 4096 * 1024) return 16384;
        if (blocks < 8192 * 1024) return 32768;
        if (blocks < 16384 * 1024) return 65536;
        if (blocks < 32768 * 1024) return 131072;
        return 262144;
    }

    /** mke2fs.conf's fs_types by size: floppy &lt; 3 MiB, small &lt; 512 MiB, default, big ≥ 4 TiB, huge ≥ 16 TiB. */
    public static int inodeRatio(long bytes) {
        long mib = bytes >> 20;
        if (mib < 3) return 8192;
        if (mib < 512) return 4096;
        if (bytes < 4L << 40) return 16384;
        if (bytes < 16L << 40) return 32768;
        return 65536;
    }

    /** Formats {@code dev}, which must hold the options' size and read zeros where nothing was written. */
    public static void format(BlockDevice dev, MkfsOptions o) {
        int bs = MkfsOptions.BLOCK_SIZE;
        if (dev.blockSize() != bs) {
            throw new IllegalArgumentException("mkfs writes 4096-byte blocks; the device has " + dev.blockSize());
        }
        long blocks = o.sizeBytes() / bs;
        if (dev.blocks() < blocks) {
            throw new IllegalArgumentException("device holds " + dev.blocks() + " blocks, the filesystem needs " + blocks);
        }
        long now = o.timestamp().orElse(System.currentTimeMillis() / 1000);
        UUID uuid = o.uuid().orElseGet(UUID::randomUUID);
        UUID hashSeed = o.hashSeed().orElseGet(UUID::randomUUID);

        // ext2fs_initialize: groups, inodes per group filling whole inode-table blocks, a too-small last group dropped.
        int bpg = bs * 8;
        long inodesWanted = o.sizeBytes() / inodeRatio(o.sizeBytes());
        int descSize = o.bit64() ? 64 : 32;
        int groups;
        int ipg;
        int itb;
        while (true) {
            groups = (int) ((blocks + bpg - 1) / bpg);
            ipg = (int) Math.min((inodesWanted + groups - 1) / groups, bpg);
            ipg = Math.max(ipg, 16);
            itb = (ipg * INODE_SIZE + bs - 1) / bs;
            ipg = (itb * bs / INODE_SIZE) & ~7;
            int gdtBlocks = (groups * descSize + bs - 1) / bs;
            int overhead = 3 + itb;
            Geometry probe = new Geometry(bs, blocks, 0, bpg, ipg, INODE_SIZE, descSize, true);
            if (probe.hasSuper(groups - 1)) {
                overhead += 1 + gdtBlocks;
            }
            long rem = blocks % bpg;
            if (groups == 1 && rem != 0 && rem < overhead) {
                throw new IllegalArgumentException("filesystem of " + blocks + " blocks is too small");
            }
            if (rem != 0 && rem < overhead + 50) {
                blocks -= rem;
                continue;
            }
            break;
        }
        // Sized on the final block count, as mke2fs does after ext2fs_initialize.
        int journal = o.journalBlocks().orElse(defaultJournalBlocks(blocks));
        if (journal < 1024) {
            throw new IllegalArgumentException("a filesystem of " + blocks + " blocks is too small for a journal of at least 1024 blocks; use at least 8 MiB");
        }
        if ((long) ipg * groups >= 1L << 32) {
            throw new IllegalArgumentException("too many inodes for " + blocks + " blocks");
        }
        if (!o.bit64() && blocks >= 1L << 32) {
            throw new IllegalArgumentException(blocks + " blocks need the 64bit feature");
        }

        SuperBlock sb = superBlock(o, blocks, groups, ipg, now, uuid, hashSeed);
        Geometry geo = Geometry.of(sb);
        int seed = sb.csumSeed();

        // Block map of the whole filesystem: sb/GDT copies, then the group tables (alloc_tables.c), then
        // root and lost+found at the first free blocks of group 0 (ext2fs_mkdir's goal).
        if (blocks >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("mkfs here handles up to 2^31 blocks (8 TiB), not " + blocks);
        }
        BitSet used = new BitSet((int) blocks);
        for (int g = 0; g < groups; g++) {
            long first = geo.groupFirstBlock(g);
            used.set((int) first, (int) (first + geo.superAndGdtBlocks(g)));
        }
        AllocTables.Tables[] tables = new AllocTables(geo, used, o.flexBg() ? LOG_GROUPS_PER_FLEX : 0).allocate();
        int dirBlocks = 1 + LOST_AND_FOUND_BYTES / bs;
        long rootBlock = used.nextClearBit(0);
        for (int i = 0; i < dirBlocks; i++) {
            if (used.get((int) rootBlock + i)) {
                throw new IllegalStateException("root and lost+found blocks are not contiguous at " + rootBlock);
            }
        }
        used.set((int) rootBlock, (int) rootBlock + dirBlocks);

        byte[] gdt = new byte[geo.gdtBlocks() * bs];
        GroupDesc[] gds = new GroupDesc[groups];
        for (int g = 0; g < groups; g++) {
            GroupDesc gd = new GroupDesc(gdt, g * descSize, descSize);
            gds[g] = gd;
            gd.bg_block_bitmap(tables[g].blockBitmap());
            gd.bg_inode_bitmap(tables[g].inodeBitmap());
            gd.bg_inode_table(tables[g].inodeTable());
            long first = geo.groupFirstBlock(g);
            int inGroup = geo.blocksInGroup(g);
            byte[] bb = new byte[bs];
            for (int i = used.nextSetBit((int) first); i >= 0 && i < first + inGroup; i = used.nextSetBit(i + 1)) {
                Bitmaps.set(bb, (int) (i - first));
            }
            int usedBlocks = used.get((int) first, (int) (first + inGroup)).cardinality();
            Bitmaps.markEnd(bb, inGroup);
            byte[] ib = new byte[bs];
            Bitmaps.markEnd(ib, ipg);
            int usedInodes = g == 0 ? Ext4.FIRST_INO : 0;
            Bitmaps.setRange(ib, 0, usedInodes);
            gd.bg_free_blocks_count(inGroup - usedBlocks);
            gd.bg_free_inodes_count(ipg - usedInodes);
            gd.bg_used_dirs_count(g == 0 ? 2 : 0);
            gd.bg_itable_unused(ipg - usedInodes);
            gd.bg_flags(Ext4.BG_INODE_ZEROED);
            gd.bg_block_bitmap_csum(Bitmaps.checksum(seed, bb, bpg / 8));
            gd.bg_inode_bitmap_csum(Bitmaps.checksum(seed, ib, ipg / 8));
            dev.write(gd.bg_block_bitmap(), bb);
            dev.write(gd.bg_inode_bitmap(), ib);
        }
        for (int g = 0; g < groups; g++) {
            gds[g].updateChecksum(seed, g);
        }
        for (int i = 0; i < geo.gdtBlocks(); i++) {
            dev.write(1 + i, Arrays.copyOfRange(gdt, i * bs, (i + 1) * bs));
        }
        byte[] block0 = new byte[bs];
        sb.updateChecksum();
        System.arraycopy(sb.raw(), 0, block0, Ext4.SUPERBLOCK_OFFSET, SuperBlock.SIZE);
        dev.write(0, block0);

        // Root and lost+found (ext2fs_mkdir, then expand_dir up to 16 KiB), written straight into group 0.
        long lpfBlock = rootBlock + 1;
        int lpfBlocks = LOST_AND_FOUND_BYTES / bs;
        byte[] itable0 = new byte[bs];
        Inode root = specialDir(Ext4.ROOT_INO, 0755, 3, now, rootBlock, 1);
        Inode lpf = specialDir(Ext4.LOST_AND_FOUND_INO, 0700, 2, now, lpfBlock, lpfBlocks);
        for (Inode i : List.of(root, lpf)) {
            i.updateChecksum(seed);
            System.arraycopy(i.raw(), 0, itable0, (i.ino() - 1) * INODE_SIZE, INODE_SIZE);
        }
        dev.write(gds[0].bg_inode_table(), itable0);
        int space = DirBlock.space(bs, true);
        writeDir(dev, seed, root, rootBlock, new DirBlock(List.of(
                DirEntry.of(Ext4.ROOT_INO, ".", Ext4.FT_DIR, 12),
                DirEntry.of(Ext4.ROOT_INO, "..", Ext4.FT_DIR, 12),
                DirEntry.of(Ext4.LOST_AND_FOUND_INO, "lost+found", Ext4.FT_DIR, space - 24)), true));
        writeDir(dev, seed, lpf, lpfBlock, new DirBlock(List.of(
                DirEntry.of(Ext4.LOST_AND_FOUND_INO, ".", Ext4.FT_DIR, 12),
                DirEntry.of(Ext4.ROOT_INO, "..", Ext4.FT_DIR, space - 12)), true));
        for (int i = 1; i < lpfBlocks; i++) {
            writeDir(dev, seed, lpf, lpfBlock + i, DirBlock.empty(bs, true));
        }

        // The journal, through the filesystem API, then every sb/GDT copy with the final counts.
        Ext4Filesystem fs = Ext4Filesystem.open(dev);
        fs.setClock(now);
        JournalInode.create(fs, journal);
        fs.flushWithBackups();
    }

    private static SuperBlock superBlock(MkfsOptions o, long blocks, int groups, int ipg, long now, UUID uuid, UUID hashSeed) {
        SuperBlock sb = SuperBlock.empty();
        sb.s_feature_incompat(Ext4.INCOMPAT_FILETYPE | Ext4.INCOMPAT_EXTENTS | (o.bit64() ? Ext4.INCOMPAT_64BIT : 0)
                | (o.flexBg() ? Ext4.INCOMPAT_FLEX_BG : 0));
        if (o.flexBg()) {
            sb.s_log_groups_per_flex(LOG_GROUPS_PER_FLEX);
        }
        sb.s_inodes_count((long) ipg * groups);
        sb.s_blocks_count(blocks);
        sb.s_r_blocks_count(blocks * 5 / 100);
        sb.s_free_blocks_count(0);
        sb.s_free_inodes_count(0);
        sb.s_first_data_block(0);
        sb.s_log_block_size(2);
        sb.s_log_cluster_size(2);
        sb.s_blocks_per_group(MkfsOptions.BLOCK_SIZE * 8);
        sb.s_clusters_per_group(MkfsOptions.BLOCK_SIZE * 8);
        sb.s_inodes_per_group(ipg);
        sb.s_mtime(0);
        sb.s_wtime(now);
        sb.s_max_mnt_count(0xFFFF);
        sb.s_magic(Ext4.SUPER_MAGIC);
        sb.s_state(1);
        sb.s_errors(1);
        sb.s_lastcheck(now);
        sb.s_rev_level(1);
        sb.s_first_ino(Ext4.FIRST_INO);
        sb.s_inode_size(INODE_SIZE);
        sb.s_feature_compat(Ext4.COMPAT_HAS_JOURNAL | Ext4.COMPAT_EXT_ATTR);
        sb.s_feature_ro_compat(Ext4.RO_COMPAT_SPARSE_SUPER | Ext4.RO_COMPAT_LARGE_FILE | Ext4.RO_COMPAT_HUGE_FILE
                | Ext4.RO_COMPAT_DIR_NLINK | Ext4.RO_COMPAT_EXTRA_ISIZE | Ext4.RO_COMPAT_METADATA_CSUM);
        sb.s_uuid(bytes(uuid));
        sb.s_volume_name(o.label().getBytes(StandardCharsets.UTF_8));
        sb.s_journal_inum(Ext4.JOURNAL_INO);
        sb.s_hash_seed(bytes(hashSeed));
        sb.s_def_hash_version(1);
        sb.s_jnl_backup_type(1);
        sb.s_desc_size(o.bit64() ? 64 : 0);
        sb.s_default_mount_opts(0x000C);
        sb.s_mkfs_time(now);
        sb.s_min_extra_isize(EXTRA_ISIZE);
        sb.s_want_extra_isize(EXTRA_ISIZE);
        sb.s_flags(0x1);
        sb.s_checksum_type(Ext4.CRC32C_CHKSUM);
        return sb;
    }

    private static Inode specialDir(int ino, int perm, int links, long now, long start, int blocks) {
        Inode i = new Inode(ino, new byte[INODE_SIZE]);
        i.i_mode(Ext4.S_IFDIR | perm);
        i.i_links_count(links);
        i.i_extra_isize(EXTRA_ISIZE);
        i.setAllTimes(now);
        i.i_flags(Ext4.EXTENTS_FL);
        i.i_size((long) blocks * MkfsOptions.BLOCK_SIZE);
        i.i_blocks((long) blocks * (MkfsOptions.BLOCK_SIZE / 512));
        i.i_block(ExtentNode.leaf(ExtentTree.ROOT_MAX, 0, List.of(new Extent(0, blocks, start))).toIBlock());
        return i;
    }

    private static void writeDir(BlockDevice dev, int seed, Inode dir, long pblk, DirBlock blk) {
        byte[] b = blk.encode(dev.blockSize());
        DirBlock.setChecksum(seed, dir.ino(), dir.i_generation(), b);
        dev.write(pblk, b);
    }

    static byte[] bytes(UUID u) {
        return ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits()).array();
    }
}
