package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.Crc32c;
import dev.ext4sim.ondisk.Le;
import dev.ext4sim.ondisk.OnDiskException;
import java.util.ArrayList;
import java.util.List;

/**
 * One node of an extent tree, parsed: the root in {@code i_block} (eh_max 4) or a tree block (eh_max
 * (block size − 12) / 12, then a 4-byte {@code ext4_extent_tail} checksum). A leaf (depth 0) holds extents,
 * an index node holds {@link ExtentIdx}.
 *
 * <p>{@code slack} keeps the bytes of the unused slots after the last entry as they were read: the kernel
 * and e2fsprogs leave stale entries there when a node shrinks or is split, and keeping them makes a
 * decode/encode round trip exact. Nodes built here have none (the slots are written as zeros).
 */
public record ExtentNode(ExtentHeader header, List<Extent> extents, List<ExtentIdx> indexes, byte[] slack) {
    public static final int ENTRY_SIZE = 12;

    public ExtentNode {
        extents = List.copyOf(extents);
        indexes = List.copyOf(indexes);
        if (slack.length != 0 && slack.length != ENTRY_SIZE * (header.max() - header.entries())) {
            throw new IllegalArgumentException("slack of " + slack.length + " bytes for " + (header.max() - header.entries()) + " free slots");
        }
    }

    public ExtentNode(ExtentHeader header, List<Extent> extents, List<ExtentIdx> indexes) {
        this(header, extents, indexes, new byte[0]);
    }

    public static ExtentNode leaf(int max, int depth0Generation, List<Extent> extents) {
        return new ExtentNode(new ExtentHeader(extents.size(), max, 0, depth0Generation), extents, List.of());
    }

    public static ExtentNode index(int max, int depth, List<ExtentIdx> indexes) {
        return new ExtentNode(new ExtentHeader(indexes.size(), max, depth, 0), List.of(), indexes);
    }

    public boolean isLeaf() {
        return header.depth() == 0;
    }

    /** eh_max for a tree block of {@code blockSize} (ext4_ext_space_block). */
    public static int maxInBlock(int blockSize) {
        return (blockSize - ExtentHeader.SIZE) / ENTRY_SIZE;
    }

    /** EXT4_EXTENT_TAIL_OFFSET: where the checksum sits in a tree block. */
    public static int tailOffset(int max) {
        return ExtentHeader.SIZE + ENTRY_SIZE * max;
    }

    /**
     * Parses a node at {@code off}, checking what ext4_ext_check checks (magic, entries ≤ max, depth).
     * {@code structure} and {@code block} name the place for the error message.
     */
    public static ExtentNode decode(byte[] b, int off, int maxAllowed, String structure, long block) {
        if (!ExtentHeader.hasMagic(b, off)) {
            throw new OnDiskException(structure, block, String.format("bad extent header magic 0x%04X (expected 0xF30A); run e2fsck", Le.u16(b, off)));
        }
        ExtentHeader h = ExtentHeader.decode(b, off);
        if (h.max() > maxAllowed || h.entries() > h.max() || h.depth() > ExtentHeader.MAX_DEPTH) {
            throw new OnDiskException(structure, block, "bad extent header: entries " + h.entries() + ", max " + h.max()
                    + ", depth " + h.depth() + "; run e2fsck");
        }
        List<Extent> ext = new ArrayList<>();
        List<ExtentIdx> idx = new ArrayList<>();
        for (int i = 0; i < h.entries(); i++) {
            int p = off + ExtentHeader.SIZE + i * ENTRY_SIZE;
            if (h.depth() == 0) {
                int rawLen = Le.u16(b, p + 4);
                boolean unwritten = rawLen > Extent.INIT_MAX_LEN;
                int len = unwritten ? rawLen - Extent.INIT_MAX_LEN : rawLen;
                long pblk = Le.u32(b, p + 8) | (long) Le.u16(b, p + 6) << 32;
                if (len == 0) {
                    throw new OnDiskException(structure, block, "extent " + i + " has length 0; run e2fsck");
                }
                ext.add(new Extent(Le.u32(b, p), len, pblk, unwritten));
            } else {
                idx.add(new ExtentIdx(Le.u32(b, p), Le.u32(b, p + 4) | (long) Le.u16(b, p + 8) << 32, Le.u16(b, p + 10)));
            }
        }
        int used = off + ExtentHeader.SIZE + h.entries() * ENTRY_SIZE;
        byte[] slack = java.util.Arrays.copyOfRange(b, used, off + tailOffset(h.max()));
        boolean zero = true;
        for (byte x : slack) {
            zero &= x == 0;
        }
        return new ExtentNode(h, ext, idx, zero ? new byte[0] : slack);
    }

    /** Writes header and entries at {@code off}; the unused slots up to eh_max are zeroed. */
    public void encode(byte[] b, int off) {
        header.encode(b, off);
        int n = isLeaf() ? extents.size() : indexes.size();
        if (n != header.entries() || n > header.max()) {
            throw new IllegalArgumentException("node has " + n + " entries, header says " + header.entries() + " of max " + header.max());
        }
        for (int i = 0; i < header.max(); i++) {
            int p = off + ExtentHeader.SIZE + i * ENTRY_SIZE;
            if (i >= n) {
                if (slack.length == 0) {
                    java.util.Arrays.fill(b, p, p + ENTRY_SIZE, (byte) 0);
                } else {
                    System.arraycopy(slack, (i - n) * ENTRY_SIZE, b, p, ENTRY_SIZE);
                }
            } else if (isLeaf()) {
                Extent e = extents.get(i);
                Le.u32(b, p, e.lblk());
                Le.u16(b, p + 4, e.rawLen());
                Le.u16(b, p + 6, (int) (e.pblk() >>> 32));
                Le.u32(b, p + 8, e.pblk());
            } else {
                ExtentIdx x = indexes.get(i);
                Le.u32(b, p, x.lblk());
                Le.u32(b, p + 4, x.leaf());
                Le.u16(b, p + 8, (int) (x.leaf() >>> 32));
                Le.u16(b, p + 10, x.unused());
            }
        }
    }

    /** The 60 bytes of i_block for this node as the root. */
    public byte[] toIBlock() {
        byte[] b = new byte[Inode.I_BLOCK_SIZE];
        encode(b, 0);
        return b;
    }

    /** ext4_extent_block_csum: seed, LE32 ino, LE32 generation, bytes up to the tail. */
    public static int blockChecksum(int csumSeed, int ino, int generation, byte[] block) {
        int max = ExtentHeader.decode(block, 0).max();
        int crc = Crc32c.updateLe32(csumSeed, ino);
        crc = Crc32c.updateLe32(crc, generation);
        return Crc32c.update(crc, block, 0, tailOffset(max));
    }

    /** A whole tree block with its checksum tail set. */
    public byte[] toBlock(int blockSize, int csumSeed, int ino, int generation, boolean csum) {
        byte[] b = new byte[blockSize];
        encode(b, 0);
        if (csum) {
            Le.u32(b, tailOffset(header.max()), blockChecksum(csumSeed, ino, generation, b) & 0xFFFFFFFFL);
        }
        return b;
    }
}
