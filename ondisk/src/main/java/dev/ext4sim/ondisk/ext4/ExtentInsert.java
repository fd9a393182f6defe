package dev.ext4sim.ondisk.ext4;

import java.util.ArrayList;
import java.util.List;

/**
 * Inserting one extent the way extents.c does, touching only the nodes on the path: find the leaf
 * (ext4_find_extent), merge with a neighbour (ext4_ext_try_to_merge), else insert into the leaf; a full leaf
 * is split at the insertion point up to the nearest level with room (ext4_ext_split), or the tree grows a
 * level when every level is full (ext4_ext_grow_indepth); first-block changes go up the index path
 * (ext4_ext_correct_indexes). Blocks for new nodes are allocated before anything changes, so ENOSPC leaves
 * the tree as it was.
 */
final class ExtentInsert {
    /** One node on the path, editable; {@code block} is -1 for the root in i_block. */
    private static final class Node {
        long block;
        final int depth;
        final int max;
        final List<Extent> ext;
        final List<ExtentIdx> idx;
        /** Leaf: where the new extent goes. Index: the entry followed. */
        int pos;
        boolean dirty;

        Node(long block, ExtentNode n) {
            this.block = block;
            this.depth = n.header().depth();
            this.max = n.header().max();
            this.ext = new ArrayList<>(n.extents());
            this.idx = new ArrayList<>(n.indexes());
        }

        Node(long block, int depth, int max) {
            this.block = block;
            this.depth = depth;
            this.max = max;
            this.ext = new ArrayList<>();
            this.idx = new ArrayList<>();
        }

        int entries() {
            return depth == 0 ? ext.size() : idx.size();
        }

        long firstLblk() {
            return depth == 0 ? ext.getFirst().lblk() : idx.getFirst().lblk();
        }

        ExtentNode toNode() {
            return depth == 0 ? ExtentNode.leaf(max, 0, ext) : ExtentNode.index(max, depth, idx);
        }
    }

    private final Ext4Filesystem fs;
    private final ExtentTree tree;

    ExtentInsert(Ext4Filesystem fs, ExtentTree tree) {
        this.fs = fs;
        this.tree = tree;
    }

    void insert(Inode inode, Extent e) {
        while (true) {
            List<Node> path = findPath(inode, e.lblk());
            Node leaf = path.getLast();
            checkOverlap(inode, leaf, e);
            if (tryMerge(leaf, e)) {
                finish(inode, path);
                return;
            }
            if (leaf.entries() < leaf.max) {
                leaf.ext.add(leaf.pos, e);
                leaf.dirty = true;
                finish(inode, path);
                return;
            }
            int room = -1;
            for (int k = path.size() - 2; k >= 0; k--) {
                if (path.get(k).entries() < path.get(k).max) {
                    room = k;
                    break;
                }
            }
            if (room < 0) {
                growInDepth(inode, path.getFirst());
                continue; // the leaf now has a parent with room
            }
            split(inode, path, room, e);
            return;
        }
    }

    /** ext4_find_extent: the path to the leaf that holds (or would hold) {@code lblk}. */
    private List<Node> findPath(Inode inode, long lblk) {
        List<Node> path = new ArrayList<>();
        Node n = new Node(-1, tree.root(inode));
        path.add(n);
        while (n.depth > 0) {
            int p = 0;
            for (int i = 1; i < n.idx.size(); i++) {
                if (n.idx.get(i).lblk() <= lblk) {
                    p = i;
                }
            }
            n.pos = p;
            long block = n.idx.get(p).leaf();
            n = new Node(block, tree.readNode(inode, block, n.depth - 1));
            path.add(n);
        }
        int p = 0;
        while (p < n.ext.size() && n.ext.get(p).lblk() < lblk) {
            p++;
        }
        n.pos = p;
        return path;
    }

    private static void checkOverlap(Inode inode, Node leaf, Extent e) {
        int p = leaf.pos;
        if (p > 0 && leaf.ext.get(p - 1).endLblk() > e.lblk() || p < leaf.ext.size() && e.endLblk() > leaf.ext.get(p).lblk()) {
            throw new IllegalArgumentException("extent " + e + " overlaps a mapped block of inode " + inode.ino());
        }
    }

    private static boolean continues(Extent a, Extent b) {
        int max = a.unwritten() ? Extent.UNWRITTEN_MAX_LEN : Extent.INIT_MAX_LEN;
        return a.unwritten() == b.unwritten() && a.endLblk() == b.lblk() && a.pblk() + a.len() == b.pblk() && a.len() + b.len() <= max;
    }

    private static Extent join(Extent a, Extent b) {
        return new Extent(a.lblk(), a.len() + b.len(), a.pblk(), a.unwritten());
    }

    /** ext4_ext_try_to_merge within the leaf: left neighbour, right neighbour, or both. */
    private static boolean tryMerge(Node leaf, Extent e) {
        int p = leaf.pos;
        Extent left = p > 0 ? leaf.ext.get(p - 1) : null;
        Extent right = p < leaf.ext.size() ? leaf.ext.get(p) : null;
        if (left != null && continues(left, e)) {
            Extent m = join(left, e);
            if (right != null && continues(m, right)) {
                leaf.ext.set(p - 1, join(m, right));
                leaf.ext.remove(p);
            } else {
                leaf.ext.set(p - 1, m);
            }
            leaf.dirty = true;
            return true;
        }
        if (right != null && continues(e, right)) {
            leaf.ext.set(p, join(e, right));
            leaf.dirty = true;
            return true;
        }
        return false;
    }

    /**
     * ext4_ext_split: every level below {@code room} is full; each gets a new sibling holding the entries
     * after the path position, and level {@code room} gets an index to the new subtree.
     */
    private void split(Inode inode, List<Node> path, int room, Extent e) {
        int leafLevel = path.size() - 1;
        List<Long> blocks = allocate(inode, leafLevel - room, path.getLast());
        Node leaf = path.getLast();
        int s = Math.max(leaf.pos, 1);
        Node newLeaf = new Node(blocks.getLast(), 0, leaf.max);
        newLeaf.ext.addAll(leaf.ext.subList(s, leaf.ext.size()));
        leaf.ext.subList(s, leaf.ext.size()).clear();
        if (leaf.pos >= s) {
            newLeaf.ext.add(leaf.pos - s, e);
        } else {
            leaf.ext.add(leaf.pos, e);
        }
        leaf.dirty = true;
        newLeaf.dirty = true;
        List<Node> created = new ArrayList<>(List.of(newLeaf));
        Node child = newLeaf;
        for (int k = leafLevel - 1; k > room; k--) {
            Node n = path.get(k);
            int at = n.pos + 1;
            Node sibling = new Node(blocks.get(k - room - 1), n.depth, n.max);
            sibling.idx.add(new ExtentIdx(child.firstLblk(), child.block));
            sibling.idx.addAll(n.idx.subList(at, n.idx.size()));
            n.idx.subList(at, n.idx.size()).clear();
            n.dirty = true;
            sibling.dirty = true;
            created.add(sibling);
            child = sibling;
        }
        Node top = path.get(room);
        top.idx.add(top.pos + 1, new ExtentIdx(child.firstLblk(), child.block));
        top.dirty = true;
        for (Node n : created) {
            write(inode, n);
        }
        finish(inode, path);
    }

    /** ext4_ext_grow_indepth: the root's entries move to a new block; the root becomes one index above it. */
    private void growInDepth(Inode inode, Node root) {
        long block = allocate(inode, 1, root).getFirst();
        Node moved = new Node(block, root.depth, ExtentNode.maxInBlock(fs.blockSize()));
        moved.ext.addAll(root.ext);
        moved.idx.addAll(root.idx);
        write(inode, moved);
        Node newRoot = new Node(-1, root.depth + 1, ExtentTree.ROOT_MAX);
        newRoot.idx.add(new ExtentIdx(moved.firstLblk(), block));
        inode.i_block(newRoot.toNode().toIBlock());
    }

    /** ext4_ext_new_meta_block: {@code n} blocks near the data the path maps, counted in i_blocks. */
    private List<Long> allocate(Inode inode, int n, Node near) {
        long goal = near.depth == 0 && !near.ext.isEmpty()
                ? near.ext.get(Math.min(near.pos, near.ext.size() - 1)).pblk()
                : fs.geometry().groupFirstBlock(fs.geometry().groupOfInode(inode.ino()));
        List<Long> out = fs.mballoc().newBlocksAll(goal, n);
        inode.i_blocks(inode.i_blocks() + (long) n * (fs.blockSize() / 512));
        return out;
    }

    /** ext4_ext_correct_indexes up the path, then every changed node written (the root into i_block). */
    private void finish(Inode inode, List<Node> path) {
        for (int k = path.size() - 1; k > 0; k--) {
            Node child = path.get(k);
            Node parent = path.get(k - 1);
            ExtentIdx x = parent.idx.get(parent.pos);
            if (x.leaf() == child.block && x.lblk() != child.firstLblk()) {
                parent.idx.set(parent.pos, new ExtentIdx(child.firstLblk(), x.leaf(), x.unused()));
                parent.dirty = true;
            }
        }
        for (Node n : path) {
            if (n.dirty) {
                write(inode, n);
            }
        }
    }

    private void write(Inode inode, Node n) {
        if (n.block < 0) {
            inode.i_block(n.toNode().toIBlock());
        } else {
            fs.writeMetadata(n.block, n.toNode().toBlock(fs.blockSize(), fs.csumSeed(), inode.ino(), inode.i_generation(), fs.hasMetadataCsum()));
        }
        n.dirty = false;
    }
}
