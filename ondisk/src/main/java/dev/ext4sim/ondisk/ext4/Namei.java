package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.Le;
import dev.ext4sim.ondisk.OnDiskException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Linear directories (namei.c without htree): lookup, adding an entry in the first block with room or in a
 * new block appended to the directory (ext4_add_entry, ext4_append), mkdir and create by path.
 */
public final class Namei {
    private final Ext4Filesystem fs;

    Namei(Ext4Filesystem fs) {
        this.fs = fs;
    }

    private boolean tail() {
        return fs.hasMetadataCsum();
    }

    /** Reads directory block {@code lblk} of {@code dir}, checksum verified (ext4_read_dirblock). */
    public DirBlock readBlock(Inode dir, long lblk) {
        long pblk = fs.extents().map(dir, lblk);
        String what = "directory block " + lblk + " of inode " + dir.ino();
        if (pblk < 0) {
            throw new OnDiskException(what, -1, "is a hole; run e2fsck");
        }
        byte[] b = fs.device().read(pblk);
        if ((dir.i_flags() & Ext4.INDEX_FL) != 0) {
            DirBlock dx = dxBlockAsEntries(b, lblk);
            if (dx != null) {
                return dx;
            }
        }
        if (tail()) {
            DirBlock.decode(b, true, what, pblk); // checks the tail is there before trusting its checksum
            int want = DirBlock.checksum(fs.csumSeed(), dir.ino(), dir.i_generation(), b);
            int have = DirBlock.storedChecksum(b);
            if (want != have) {
                throw new OnDiskException(what, pblk, String.format("checksum mismatch: stored 0x%08X, computed 0x%08X; run e2fsck", have, want));
            }
        }
        return DirBlock.decode(b, tail(), what, pblk);
    }

    /**
     * In an htree directory (made by mke2fs or the kernel with dir_index) the dx_root and dx_node blocks
     * look like directory blocks holding only '.' and '..' or one empty record, so that a linear scan
     * skips them (as ext4's readdir fallback does). Returns what such a block holds as entries, or null if
     * it is a leaf.
     */
    private DirBlock dxBlockAsEntries(byte[] b, long lblk) {
        int bs = b.length;
        if (lblk == 0 && Le.u16(b, 4) == 12 && Le.u16(b, 12 + 4) == bs - 12) {
            return new DirBlock(List.of(
                    new DirEntry((int) Le.u32(b, 0), 12, ".".getBytes(StandardCharsets.UTF_8), Ext4.FT_DIR),
                    new DirEntry((int) Le.u32(b, 12), bs - 12, "..".getBytes(StandardCharsets.UTF_8), Ext4.FT_DIR)), false);
        }
        if (Le.u32(b, 0) == 0 && Le.u16(b, 4) == bs) {
            return new DirBlock(List.of(new DirEntry(0, bs, new byte[0], 0)), false);
        }
        return null;
    }

    /** Writes a directory block with its tail checksum. */
    public void writeBlock(Inode dir, long pblk, DirBlock block) {
        byte[] b = block.encode(fs.blockSize());
        if (block.tail()) {
            DirBlock.setChecksum(fs.csumSeed(), dir.ino(), dir.i_generation(), b);
        }
        fs.writeMetadata(pblk, b);
    }

    private long blocks(Inode dir) {
        return dir.i_size() / fs.blockSize();
    }

    /** Every live entry of {@code dir}, '.' and '..' included. */
    public List<DirEntry> entries(Inode dir) {
        requireDir(dir);
        List<DirEntry> out = new ArrayList<>();
        for (long l = 0; l < blocks(dir); l++) {
            out.addAll(readBlock(dir, l).live());
        }
        return out;
    }

    /** ext4_find_entry: the inode of {@code name} in {@code dir}, or 0. */
    public int lookup(Inode dir, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        for (DirEntry e : entries(dir)) {
            if (Arrays.equals(e.name(), n)) {
                return e.inode();
            }
        }
        return 0;
    }

    /** Inode of an absolute path, or 0 if a component is missing. */
    public int lookupPath(String path) {
        int ino = Ext4.ROOT_INO;
        for (String part : split(path)) {
            Inode dir = fs.inodes().read(ino);
            if (!dir.isDir()) {
                return 0;
            }
            ino = lookup(dir, part);
            if (ino == 0) {
                return 0;
            }
        }
        return ino;
    }

    /**
     * ext4_add_entry: puts {@code name → ino} in the first block with room, else appends a block. Updates
     * {@code dir} in memory (size, i_blocks when a block is added); the caller writes it.
     */
    public void addEntry(Inode dir, String name, int ino, int fileType) {
        requireDir(dir);
        if ((dir.i_flags() & Ext4.INDEX_FL) != 0) {
            throw new IllegalArgumentException("directory inode " + dir.ino() + " is an htree (dir_index) directory; "
                    + "this library adds entries to linear directories only (make images with -O ^dir_index)");
        }
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length == 0 || n.length > DirEntry.NAME_MAX || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("bad directory entry name '" + name + "'");
        }
        long count = blocks(dir);
        for (long l = 0; l < count; l++) {
            DirBlock blk = readBlock(dir, l);
            for (DirEntry e : blk.live()) {
                if (Arrays.equals(e.name(), n)) {
                    throw new IllegalArgumentException("'" + name + "' already exists in directory inode " + dir.ino());
                }
            }
        }
        for (long l = 0; l < count; l++) {
            DirBlock grown = readBlock(dir, l).withAdded(ino, n, fileType);
            if (grown != null) {
                writeBlock(dir, fs.extents().map(dir, l), grown);
                return;
            }
        }
        long pblk = appendBlock(dir);
        DirBlock fresh = new DirBlock(List.of(new DirEntry(ino, DirBlock.space(fs.blockSize(), tail()), n, fileType)), tail());
        writeBlock(dir, pblk, fresh);
    }

    /** ext4_append: maps one more block at the end of {@code dir}; size and i_blocks grow by a block. */
    public long appendBlock(Inode dir) {
        long l = blocks(dir);
        List<Extent> mapped = new ArrayList<>(fs.extents().extents(dir));
        fs.files().mapRange(dir, mapped, l, l);
        dir.i_size((l + 1) * fs.blockSize());
        return FileIo.physical(mapped, l);
    }

    /**
     * ext4_mkdir: a new directory with '.' and '..', linked into its parent (whose link count grows). On
     * ENOSPC nothing stays allocated.
     */
    public int mkdir(String path, int perm) {
        Parent p = parent(path);
        Inode parent = fs.inodes().read(p.ino);
        requireAbsent(parent, p.name);
        int ino = fs.ialloc().newInode(p.ino, true);
        Inode dir = fs.ialloc().initInode(ino, Ext4.S_IFDIR | (perm & 07777), 2);
        long pblk;
        try {
            pblk = appendBlock(dir);
        } catch (NoSpaceException e) {
            fs.ialloc().freeInode(ino, true);
            throw e;
        }
        int space = DirBlock.space(fs.blockSize(), tail());
        writeBlock(dir, pblk, new DirBlock(List.of(
                DirEntry.of(ino, ".", Ext4.FT_DIR, 12),
                DirEntry.of(p.ino, "..", Ext4.FT_DIR, space - 12)), tail()));
        try {
            addEntry(parent, p.name, ino, Ext4.FT_DIR);
        } catch (NoSpaceException e) {
            fs.mballoc().freeBlocks(pblk, 1);
            fs.ialloc().freeInode(ino, true);
            throw e;
        }
        fs.inodes().write(dir);
        // dir_nlink: past EXT4_LINK_MAX the count sticks at 1 meaning "many".
        int links = parent.i_links_count();
        parent.i_links_count(links >= 65000 - 1 || links == 1 ? 1 : links + 1);
        parent.mtime(fs.currentTime());
        parent.ctime(parent.mtime());
        fs.inodes().write(parent);
        return ino;
    }

    /** ext4_create: an empty regular file. On ENOSPC nothing stays allocated. */
    public int create(String path, int perm) {
        Parent p = parent(path);
        Inode parent = fs.inodes().read(p.ino);
        requireAbsent(parent, p.name);
        int ino = fs.ialloc().newInode(p.ino, false);
        Inode file = fs.ialloc().initInode(ino, Ext4.S_IFREG | (perm & 07777), 1);
        try {
            addEntry(parent, p.name, ino, Ext4.FT_REG_FILE);
        } catch (NoSpaceException e) {
            fs.ialloc().freeInode(ino, false);
            throw e;
        }
        fs.inodes().write(file);
        parent.mtime(fs.currentTime());
        parent.ctime(parent.mtime());
        fs.inodes().write(parent);
        return ino;
    }

    private void requireAbsent(Inode dir, String name) {
        if (lookup(dir, name) != 0) {
            throw new IllegalArgumentException("'" + name + "' already exists in directory inode " + dir.ino());
        }
    }

    private record Parent(int ino, String name) {
    }

    private Parent parent(String path) {
        List<String> parts = split(path);
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("path '" + path + "' names the root, which exists");
        }
        int ino = Ext4.ROOT_INO;
        for (String part : parts.subList(0, parts.size() - 1)) {
            ino = lookup(fs.inodes().read(ino), part);
            if (ino == 0 || !fs.inodes().read(ino).isDir()) {
                throw new IllegalArgumentException("'" + part + "' in '" + path + "' is not a directory");
            }
        }
        return new Parent(ino, parts.getLast());
    }

    private static List<String> split(String path) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path '" + path + "' is not absolute");
        }
        List<String> out = new ArrayList<>();
        for (String s : path.split("/")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    private static void requireDir(Inode dir) {
        if (!dir.isDir()) {
            throw new IllegalArgumentException("inode " + dir.ino() + " is not a directory");
        }
    }
}
