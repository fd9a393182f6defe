package dev.ext4sim.ondisk.ext4;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Data in and out of regular files (inode.c's ext4_map_blocks with create, the write and read paths
 * without a page cache): holes are allocated near the previous extent (ext4_ext_find_goal), partial blocks
 * are read, modified and written, i_size and i_blocks follow.
 */
public final class FileIo {
    private final Ext4Filesystem fs;

    FileIo(Ext4Filesystem fs) {
        this.fs = fs;
    }

    public void pwrite(int ino, long offset, byte[] data, int off, int len) {
        Inode inode = fs.inodes().read(ino);
        try {
            pwrite(inode, offset, data, off, len);
        } finally {
            fs.inodes().write(inode);
        }
    }

    /**
     * Writes {@code len} bytes at {@code offset}, allocating the holes in the range; updates the inode in
     * memory (the caller writes it, as ext4_mark_inode_dirty would).
     */
    public void pwrite(Inode inode, long offset, byte[] data, int off, int len) {
        if (offset < 0 || len < 0 || off < 0 || off + len > data.length) {
            throw new IllegalArgumentException("write of " + len + " bytes at " + offset + " from " + off + " of " + data.length);
        }
        if (len == 0) {
            return;
        }
        int bs = fs.blockSize();
        long first = offset / bs;
        long last = (offset + len - 1) / bs;
        if (last >= 1L << 32) {
            throw new IllegalArgumentException("write beyond the largest ext4 file (2^32 blocks): offset " + offset);
        }
        List<Extent> mapped = new ArrayList<>(fs.extents().extents(inode));
        List<Extent> added = new ArrayList<>();
        NoSpaceException full = null;
        try {
            mapRange(inode, mapped, first, last, added);
        } catch (NoSpaceException e) {
            // A short write, as the kernel makes on ENOSPC: everything up to the first block left unmapped.
            full = e;
            long l = first;
            while (l <= last && physical(mapped, l) >= 0) {
                l++;
            }
            last = l - 1;
        }
        for (long l = first; l <= last; l++) {
            long pblk = physical(mapped, l);
            boolean fresh = physical(added, l) >= 0;
            long blockStart = l * bs;
            int from = (int) Math.max(0, offset - blockStart);
            int to = (int) Math.min(bs, offset + len - blockStart);
            byte[] buf;
            if (from == 0 && to == bs) {
                buf = new byte[bs];
            } else {
                buf = fresh ? new byte[bs] : fs.device().read(pblk);
            }
            System.arraycopy(data, off + (int) (blockStart + from - offset), buf, from, to - from);
            fs.device().write(pblk, buf);
        }
        long end = Math.min(offset + len, (last + 1) * bs);
        if (end > offset && end > inode.i_size()) {
            inode.i_size(end);
        }
        if (full != null) {
            inode.mtime(fs.currentTime());
            inode.ctime(inode.mtime());
            throw new NoSpaceException("wrote " + Math.max(0, end - offset) + " of " + len + " bytes at offset " + offset
                    + " of inode " + inode.ino() + " (" + full.getMessage() + ")");
        }
        inode.mtime(fs.currentTime());
        inode.ctime(inode.mtime());
    }

    /**
     * Allocates every unmapped block of [first, last] (ext4_map_blocks with EXT4_GET_BLOCKS_CREATE) and
     * inserts the new extents; {@code mapped} is updated to the new mapping. Returns the new extents.
     */
    public List<Extent> mapRange(Inode inode, List<Extent> mapped, long first, long last) {
        List<Extent> added = new ArrayList<>();
        mapRange(inode, mapped, first, last, added);
        return added;
    }

    /**
     * As above, collecting the new extents in {@code added}. Each run is inserted as it is allocated
     * (ext4_ext_insert_extent). On ENOSPC the blocks mapped so far stay mapped (and in {@code mapped} and
     * {@code added}) before the exception propagates; a run whose tree insertion failed is given back.
     */
    void mapRange(Inode inode, List<Extent> mapped, long first, long last, List<Extent> added) {
        long l = first;
        while (l <= last) {
            if (physical(mapped, l) >= 0) {
                l++;
                continue;
            }
            long holeEnd = last + 1;
            for (Extent e : mapped) {
                if (e.lblk() > l) {
                    holeEnd = Math.min(holeEnd, e.lblk());
                    break;
                }
            }
            int want = (int) Math.min(holeEnd - l, Extent.INIT_MAX_LEN);
            Mballoc.Run r = fs.mballoc().newBlocks(findGoal(inode, mapped, l), want);
            Extent e = new Extent(l, r.len(), r.start());
            try {
                fs.extents().insert(inode, e);
            } catch (NoSpaceException ex) {
                fs.mballoc().freeBlocks(r.start(), r.len());
                throw ex;
            }
            added.add(e);
            insertSorted(mapped, e);
            inode.i_blocks(inode.i_blocks() + (long) r.len() * (fs.blockSize() / 512));
            l += r.len();
        }
    }

    /** ext4_ext_find_goal: continue the extent before {@code lblk}, else the inode's own group. */
    long findGoal(Inode inode, List<Extent> mapped, long lblk) {
        Extent before = null;
        for (Extent e : mapped) {
            if (e.lblk() < lblk) {
                before = e;
            } else {
                break;
            }
        }
        if (before != null) {
            return before.pblk() + (lblk - before.lblk());
        }
        Geometry geo = fs.geometry();
        return geo.groupFirstBlock(geo.groupOfInode(inode.ino()));
    }

    private static void insertSorted(List<Extent> list, Extent e) {
        int at = 0;
        while (at < list.size() && list.get(at).lblk() < e.lblk()) {
            at++;
        }
        list.add(at, e);
    }

    static long physical(List<Extent> extents, long l) {
        Extent e = find(extents, l);
        return e == null ? -1 : e.map(l);
    }

    /** The extent holding {@code l} in a sorted list, or null. */
    static Extent find(List<Extent> extents, long l) {
        int lo = 0;
        int hi = extents.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Extent e = extents.get(mid);
            if (l < e.lblk()) {
                hi = mid - 1;
            } else if (l >= e.endLblk()) {
                lo = mid + 1;
            } else {
                return e;
            }
        }
        return null;
    }

    /** Reads up to {@code len} bytes at {@code offset}, stopping at i_size; holes and unwritten extents read as zeros. */
    public byte[] read(Inode inode, long offset, int len) {
        long size = inode.i_size();
        if (offset >= size || len <= 0) {
            return new byte[0];
        }
        int n = (int) Math.min(len, size - offset);
        byte[] out = new byte[n];
        int bs = fs.blockSize();
        List<Extent> mapped = fs.extents().extents(inode);
        long l = offset / bs;
        while ((l * bs) < offset + n) {
            long blockStart = l * bs;
            Extent e = find(mapped, l);
            if (e != null && !e.unwritten()) {
                byte[] buf = fs.device().read(e.map(l));
                int from = (int) Math.max(0, offset - blockStart);
                int to = (int) Math.min(bs, offset + n - blockStart);
                System.arraycopy(buf, from, out, (int) (blockStart + from - offset), to - from);
            }
            l++;
        }
        return out;
    }

    /** The whole file. */
    public byte[] readAll(Inode inode) {
        byte[] b = read(inode, 0, (int) Math.min(Integer.MAX_VALUE - 8, inode.i_size()));
        return b.length == inode.i_size() ? b : Arrays.copyOf(b, (int) inode.i_size());
    }
}
