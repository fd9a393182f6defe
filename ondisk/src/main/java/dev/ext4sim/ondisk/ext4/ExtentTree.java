package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.Le;
import dev.ext4sim.ondisk.OnDiskException;
import java.util.ArrayList;
import java.util.List;

/**
 * Extent trees (extents.c): lookup (ext4_ext_map_blocks without create), insertion as the kernel does it,
 * the walk over every leaf, and {@link #store}, which rebuilds a whole tree from a sorted list (leaves packed
 * full, as few levels as fit), for mkfs and bulk loads. The caller writes the inode afterwards.
 */
public final class ExtentTree {
    public static final int ROOT_MAX = 4;

    private final Ext4Filesystem fs;

    ExtentTree(Ext4Filesystem fs) {
        this.fs = fs;
    }

    public ExtentNode root(Inode inode) {
        if (!inode.hasExtents()) {
            throw new IllegalArgumentException("inode " + inode.ino() + " is not extent-mapped (no EXTENTS_FL)");
        }
        return ExtentNode.decode(inode.raw(), Inode.I_BLOCK, ROOT_MAX, "extent root of inode " + inode.ino(), -1);
    }

    /** Reads a tree block, verifying magic, depth and (with metadata_csum) the ext4_extent_tail checksum. */
    public ExtentNode readNode(Inode inode, long block, int depth) {
        if (block < fs.geometry().firstDataBlock() || block >= fs.geometry().blocksCount()) {
            throw new OnDiskException("extent tree block of inode " + inode.ino(), block, "outside the filesystem; run e2fsck");
        }
        byte[] b = fs.device().read(block);
        String what = "extent tree block of inode " + inode.ino();
        ExtentNode node = ExtentNode.decode(b, 0, ExtentNode.maxInBlock(fs.blockSize()), what, block);
        if (node.header().depth() != depth) {
            throw new OnDiskException(what, block, "depth " + node.header().depth() + " where " + depth + " was expected; run e2fsck");
        }
        if (fs.hasMetadataCsum()) {
            int want = ExtentNode.blockChecksum(fs.csumSeed(), inode.ino(), inode.i_generation(), b);
            int have = (int) Le.u32(b, ExtentNode.tailOffset(node.header().max()));
            if (want != have) {
                throw new OnDiskException(what, block, String.format("checksum mismatch: stored 0x%08X, computed 0x%08X; run e2fsck", have, want));
            }
        }
        return node;
    }

    /** Physical block for logical {@code lblk}, or -1 for a hole. */
    public long map(Inode inode, long lblk) {
        ExtentNode node = root(inode);
        while (!node.isLeaf()) {
            ExtentIdx pick = null;
            for (ExtentIdx x : node.indexes()) {
                if (x.lblk() <= lblk) {
                    pick = x;
                } else {
                    break;
                }
            }
            if (pick == null) {
                return -1;
            }
            node = readNode(inode, pick.leaf(), node.header().depth() - 1);
        }
        for (Extent e : node.extents()) {
            if (e.contains(lblk)) {
                return e.map(lblk);
            }
        }
        return -1;
    }

    /** Every extent, in logical order. */
    public List<Extent> extents(Inode inode) {
        List<Extent> out = new ArrayList<>();
        walk(inode, root(inode), out, null);
        return out;
    }

    /** The index and leaf blocks below the root, in tree order. */
    public List<Long> treeBlocks(Inode inode) {
        List<Long> out = new ArrayList<>();
        walk(inode, root(inode), null, out);
        return out;
    }

    private void walk(Inode inode, ExtentNode node, List<Extent> extents, List<Long> blocks) {
        if (node.isLeaf()) {
            if (extents != null) {
                extents.addAll(node.extents());
            }
            return;
        }
        for (ExtentIdx x : node.indexes()) {
            if (blocks != null) {
                blocks.add(x.leaf());
            }
            walk(inode, readNode(inode, x.leaf(), node.header().depth() - 1), extents, blocks);
        }
    }

    /**
     * ext4_ext_insert_extent: adds {@code e}, which must not overlap a mapped block, merging it with a
     * neighbour it continues, splitting full nodes and growing the tree as the kernel does (see
     * {@link ExtentInsert}); only the nodes on the path are rewritten. New tree blocks are counted in
     * i_blocks here; data blocks are the caller's.
     */
    public void insert(Inode inode, Extent e) {
        new ExtentInsert(fs, this).insert(inode, e);
    }

    /**
     * ext4_convert_unwritten_extents_endio: blocks [lblk, lblk+len) become written (initialized); the unwritten rest of
     * each extent they were part of stays unwritten, and the written part merges with written neighbours it continues.
     * Returns the blocks converted.
     */
    public int markWritten(Inode inode, long lblk, int len) {
        long end = lblk + len;
        List<Extent> out = new ArrayList<>();
        int converted = 0;
        for (Extent e : extents(inode)) {
            if (!e.unwritten() || e.endLblk() <= lblk || e.lblk() >= end) {
                out.add(e);
                continue;
            }
            long from = Math.max(lblk, e.lblk());
            long to = Math.min(end, e.endLblk());
            if (e.lblk() < from) {
                out.add(new Extent(e.lblk(), (int) (from - e.lblk()), e.pblk(), true));
            }
            out.add(new Extent(from, (int) (to - from), e.map(from), false));
            if (to < e.endLblk()) {
                out.add(new Extent(to, (int) (e.endLblk() - to), e.map(to), true));
            }
            converted += (int) (to - from);
        }
        if (converted > 0) {
            store(inode, merge(out));
        }
        return converted;
    }

    /** Merges neighbours that continue each other logically and physically (same written state). */
    public static List<Extent> merge(List<Extent> sorted) {
        List<Extent> out = new ArrayList<>();
        for (Extent e : sorted) {
            if (!out.isEmpty()) {
                Extent p = out.getLast();
                int max = p.unwritten() ? Extent.UNWRITTEN_MAX_LEN : Extent.INIT_MAX_LEN;
                if (p.unwritten() == e.unwritten() && p.endLblk() == e.lblk() && p.pblk() + p.len() == e.pblk() && p.len() + e.len() <= max) {
                    out.set(out.size() - 1, new Extent(p.lblk(), p.len() + e.len(), p.pblk(), p.unwritten()));
                    continue;
                }
            }
            out.add(e);
        }
        return out;
    }

    /** Replaces the whole mapping of {@code inode} by {@code sorted} (sorted, non-overlapping). */
    public void store(Inode inode, List<Extent> sorted) {
        List<Long> old = treeBlocks(inode);
        int perBlock = ExtentNode.maxInBlock(fs.blockSize());
        // Level by level, bottom up: the nodes to write, and the (first lblk, block) entries of the next level.
        List<List<?>> levels = new ArrayList<>();
        List<?> current = sorted;
        int depth = 0;
        while (current.size() > ROOT_MAX) {
            levels.add(current);
            current = chunksToIndexes(current, perBlock);
            depth++;
        }
        int needed = 0;
        for (List<?> level : levels) {
            needed += (level.size() + perBlock - 1) / perBlock;
        }
        List<Long> blocks = new ArrayList<>(old.subList(0, Math.min(needed, old.size())));
        long goal = sorted.isEmpty() ? fs.geometry().groupFirstBlock(fs.geometry().groupOfInode(inode.ino())) : sorted.getFirst().pblk();
        if (blocks.size() < needed) {
            // Nothing changed yet on disk or in the inode, so ENOSPC here leaves the tree as it was.
            blocks.addAll(fs.mballoc().newBlocksAll(goal, needed - blocks.size()));
        }
        for (int i = needed; i < old.size(); i++) {
            fs.mballoc().freeBlocks(old.get(i), 1);
        }
        inode.i_blocks(inode.i_blocks() + (long) (needed - old.size()) * (fs.blockSize() / 512));

        // Write the nodes, bottom level first, handing out blocks in order; record each level's index entries.
        int next = 0;
        List<?> entries = sorted;
        for (int level = 0; level < levels.size(); level++) {
            List<ExtentIdx> up = new ArrayList<>();
            for (int from = 0; from < entries.size(); from += perBlock) {
                List<?> chunk = entries.subList(from, Math.min(entries.size(), from + perBlock));
                ExtentNode node = nodeOf(chunk, perBlock, level);
                long block = blocks.get(next++);
                fs.writeMetadata(block, node.toBlock(fs.blockSize(), fs.csumSeed(), inode.ino(), inode.i_generation(), fs.hasMetadataCsum()));
                up.add(new ExtentIdx(firstLblk(chunk.getFirst()), block));
            }
            entries = up;
        }
        inode.i_block(nodeOf(entries, ROOT_MAX, levels.size()).toIBlock());
    }

    private static List<ExtentIdx> chunksToIndexes(List<?> entries, int perBlock) {
        List<ExtentIdx> up = new ArrayList<>();
        for (int from = 0; from < entries.size(); from += perBlock) {
            up.add(new ExtentIdx(firstLblk(entries.get(from)), 0));
        }
        return up;
    }

    private static long firstLblk(Object o) {
        return o instanceof Extent e ? e.lblk() : ((ExtentIdx) o).lblk();
    }

    @SuppressWarnings("unchecked")
    private static ExtentNode nodeOf(List<?> entries, int max, int depth) {
        return depth == 0 ? ExtentNode.leaf(max, 0, (List<Extent>) entries) : ExtentNode.index(max, depth, (List<ExtentIdx>) entries);
    }
}
