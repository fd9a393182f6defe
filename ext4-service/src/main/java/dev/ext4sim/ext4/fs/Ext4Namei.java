package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.ext4.DirBlock;
import dev.ext4sim.ondisk.ext4.DirEntry;
import dev.ext4sim.ondisk.ext4.Ext4;
import dev.ext4sim.ondisk.ext4.ExtentNode;
import dev.ext4sim.ondisk.ext4.Inode;
import dev.ext4sim.ondisk.ext4.NoSpaceException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Directory operations (namei.c, linear directories): lookup, create, mkdir, unlink, with the inode allocation of
 * ialloc.c. Every check that can fail runs before anything changes, so bad input leaves the filesystem as it was.
 */
final class Ext4Namei {
    /** NAMEI_RA_SIZE: directory blocks ext4_find_entry maps and reads ahead at once. */
    static final int NAMEI_RA_SIZE = 8;

    private final Super sb;
    private final Evict evict;
    private final Orphan orphans;
    private final MapBlocks map;
    private final Dcache dcache = new Dcache();

    Ext4Namei(Super sb, Evict evict, MapBlocks map, Orphan orphans) {
        this.orphans = orphans;
        this.sb = sb;
        this.evict = evict;
        this.map = map;
    }

    static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new ErrnoException(Errno.ENOENT, "empty file name");
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new ErrnoException(Errno.EINVAL, "a file name holds no '/' and no NUL: '" + name + "'");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > DirEntry.NAME_MAX) {
            throw new ErrnoException(Errno.ENAMETOOLONG, "a file name is at most " + DirEntry.NAME_MAX + " bytes, got "
                    + name.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    Ext4InodeInfo dir(int dirIno) {
        Ext4InodeInfo dir = sb.iget(dirIno, 0);
        if (!dir.isDir()) {
            throw new ErrnoException(Errno.ENOTDIR, "inode " + dirIno + " is not a directory");
        }
        return dir;
    }

    /**
     * A path walk's step: the dentry answers if there is one; otherwise ext4_lookup (ext4_find_entry), whose answer
     * becomes a dentry, negative for ENOENT.
     */
    int lookup(TraceContext ctx, int dirIno, String name) {
        checkName(name);
        Ext4InodeInfo dir = dir(dirIno);
        Integer cached = dcache.lookup(dirIno, name);
        int ino = cached != null ? cached : findEntry(ctx, dir, name);
        if (ino == 0) {
            dcache.add(dirIno, name, 0);
            throw new ErrnoException(Errno.ENOENT, "no '" + name + "' in directory inode " + dirIno);
        }
        sb.iget(ino, dirIno);
        dcache.add(dirIno, name, ino);
        return ino;
    }

    /**
     * ext4_find_entry in a linear directory: from i_dir_start_lookup round to where it began, ext4_bread_batch maps up
     * to NAMEI_RA_SIZE blocks (ext4_getblk → ext4_map_blocks, no handle, then sb_getblk) before the first of them is
     * searched. Returns the inode, or 0.
     */
    private int findEntry(TraceContext ctx, Ext4InodeInfo dir, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        long nblocks = dir.raw.i_size() / sb.fs.blockSize();
        if (nblocks == 0) {
            return 0;
        }
        long start = dir.dirStartLookup < nblocks ? dir.dirStartLookup : 0;
        long block = start;
        boolean[] mapped = new boolean[NAMEI_RA_SIZE];
        int raPtr = 0;
        int raMax = 0;
        do {
            if (raPtr >= raMax) {
                raPtr = 0;
                raMax = (int) Math.min(block < start ? start - block : nblocks - block, NAMEI_RA_SIZE);
                for (int i = 0; i < raMax; i++) {
                    mapped[i] = getblk(ctx, null, dir, block + i, 0).mapped();
                }
            }
            if (mapped[raPtr++]) {
                for (DirEntry e : sb.fs.namei().readBlock(dir.raw, block).live()) {
                    if (Arrays.equals(e.name(), n)) {
                        dir.dirStartLookup = block;
                        return e.inode();
                    }
                }
            }
            block = block + 1 >= nblocks ? 0 : block + 1;
        } while (block != start);
        return 0;
    }

    /**
     * ext4_add_entry in a linear directory: each block read as ext4_read_dirblock does (ext4_bread → ext4_getblk maps
     * it: the status lookup, the extent tree on a miss), the entry put in the first with room; a full directory grows
     * by ext4_append, its next block mapped with EXT4_GET_BLOCKS_CREATE in {@code h}, i_disksize following i_size.
     */
    private void addEntry(TraceContext ctx, Ext4Handle h, Ext4InodeInfo dir, String name, int ino, int fileType) {
        if ((dir.raw.i_flags() & Ext4.INDEX_FL) != 0) {
            throw new IllegalArgumentException("directory inode " + dir.ino + " is an htree (dir_index) directory; "
                    + "entries are added to linear directories only (make images with -O ^dir_index)");
        }
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        int bs = sb.fs.blockSize();
        long blocks = dir.raw.i_size() / bs;
        for (long l = 0; l < blocks; l++) {
            MapBlocks.Map m = getblk(ctx, null, dir, l, 0);
            DirBlock grown = sb.fs.namei().readBlock(dir.raw, l).withAdded(ino, n, fileType);
            if (grown != null) {
                sb.fs.namei().writeBlock(dir.raw, m.pblk(), grown);
                return;
            }
        }
        MapBlocks.Map m = getblk(ctx, h, dir, blocks, Flags.GET_BLOCKS_CREATE);
        dir.raw.i_size((blocks + 1) * bs);
        boolean tail = sb.fs.hasMetadataCsum();
        sb.fs.namei().writeBlock(dir.raw, m.pblk(),
                new DirBlock(List.of(new DirEntry(ino, DirBlock.space(bs, tail), n, fileType)), tail));
    }

    /** ext4_getblk: ext4_map_blocks of one block, then sb_getblk of the block it maps to (none for a hole). */
    private MapBlocks.Map getblk(TraceContext ctx, Ext4Handle h, Ext4InodeInfo dir, long lblk, int flags) {
        MapBlocks.Map m = map.mapBlocks(ctx, h, dir, lblk, 1, flags);
        if (m.mapped()) {
            sb.buffers.getblk(ctx, m.pblk());
        }
        return m;
    }

    /**
     * 6.x's ext4_create and ext4_mkdir credits: EXT4_DATA_TRANS_BLOCKS (20 with extents + 6 xattr - 2, no quota) +
     * EXT4_INDEX_EXTRA_TRANS_BLOCKS (12) + 3, and __ext4_new_inode adds ext4_xattr_credits_for_new_inode: one
     * security xattr (7, no ea_inode) and no default ACL on the parent.
     */
    static final int NEW_INODE_CREDITS_6X = 20 + 6 - 2 + 12 + 3 + 7;

    private int credits(Ext4InodeInfo dir) {
        int depth = sb.fs.extents().root(dir.raw).header().depth();
        return 10 + sb.fs.geometry().gdtBlocks() + 3 * (depth + 1);
    }

    private void requireAbsent(Ext4InodeInfo dir, String name) {
        checkName(name);
        if (name.equals(".") || name.equals("..") || sb.fs.namei().lookup(dir.raw, name) != 0) {
            throw new ErrnoException(Errno.EEXIST, "'" + name + "' exists in directory inode " + dir.ino);
        }
    }

    /** ext4_create; the name's dentry becomes positive. */
    int create(TraceContext ctx, int dirIno, String name, int perm) {
        Ext4InodeInfo dir = dir(dirIno);
        requireAbsent(dir, name);
        int ino = newInode(ctx, dir, name, Ext4.S_IFREG | (perm & 07777), false);
        dcache.add(dirIno, name, ino);
        return ino;
    }

    /** ext4_mkdir. */
    int mkdir(TraceContext ctx, int dirIno, String name, int perm) {
        Ext4InodeInfo dir = dir(dirIno);
        requireAbsent(dir, name);
        int ino = newInode(ctx, dir, name, Ext4.S_IFDIR | (perm & 07777), true);
        dcache.add(dirIno, name, ino);
        return ino;
    }

    /**
     * __ext4_new_inode (the group's inode bitmap is read, and a free bit found, before the handle starts; the inode is
     * marked dirty before ext4_allocate_inode), ext4_init_new_dir for a directory, then ext4_add_entry and the
     * parent's and the child's final marks, in 4.x order; 6.x adds ext4_ext_tree_init's mark before
     * __ext4_new_inode's own. Without a free inode no handle starts. On ENOSPC after the
     * inode was taken it is given back as ext4_evict_inode would leave it (bitmap bit clear, slot deleted).
     */
    private int newInode(TraceContext ctx, Ext4InodeInfo dir, String name, int mode, boolean isDir) {
        sb.trace.ext4(Ext4Trace.REQUEST_INODE, ctx, (long) dir.ino, mode);
        int ino;
        try {
            // the bit is set in memory only: it reaches the bitmap buffer at the handle's stop
            ino = sb.fs.ialloc().newInode(dir.ino, isDir);
        } catch (NoSpaceException e) {
            throw new ErrnoException(Errno.ENOSPC, "no free inode: " + e.getMessage());
        }
        sb.readInodeBitmap(ctx, sb.fs.geometry().groupOfInode(ino));
        boolean v6 = sb.trace.v6();
        Ext4Handle h;
        try {
            h = v6 ? sb.journalStart(ctx, null, Super.HT_DIR, NEW_INODE_CREDITS_6X, Caller.NEW_INODE_6X)
                    : sb.journalStart(ctx, null, Super.HT_DIR, credits(dir) + (isDir ? 6 : 0), Caller.NEW_INODE);
        } catch (RuntimeException e) {
            sb.fs.ialloc().freeInode(ino, isDir);
            throw e;
        }
        try {
            Inode raw = sb.fs.ialloc().initInode(ino, mode, isDir ? 2 : 1);
            Ext4InodeInfo ei = new Ext4InodeInfo(raw, dir.ino, sb.cachedPages);
            if (v6) {
                // ext4_ext_tree_init's mark once the extent header is set, which the 6.18 capture shows and the 4.x reference does not
                sb.markInodeDirty(ctx, h, ei, Caller.EXT_TREE_INIT_MARK_6X, true);
            }
            sb.markInodeDirty(ctx, h, ei, v6 ? Caller.NEW_INODE_MARK_6X : Caller.NEW_INODE_MARK, true);
            sb.trace.ext4(Ext4Trace.ALLOCATE_INODE, ctx, (long) ino, (long) dir.ino, mode);
            long dirBlock = -1;
            try {
                if (isDir) {
                    dirBlock = sb.allocating(() -> sb.fs.namei().appendBlock(raw));
                    boolean tail = sb.fs.hasMetadataCsum();
                    int space = DirBlock.space(sb.fs.blockSize(), tail);
                    sb.fs.namei().writeBlock(raw, dirBlock, new DirBlock(List.of(
                            DirEntry.of(ino, ".", Ext4.FT_DIR, 12),
                            DirEntry.of(dir.ino, "..", Ext4.FT_DIR, space - 12)), tail));
                    ei.size = raw.i_size();
                    sb.markInodeDirty(ctx, h, ei, Caller.INIT_NEW_DIR_MARK, true);
                }
                addEntry(ctx, h, dir, name, ino, Ext4.fileType(mode));
            } catch (NoSpaceException | ErrnoException e) {
                if (e instanceof ErrnoException ee && ee.errno() != Errno.ENOSPC) {
                    throw ee;
                }
                if (dirBlock >= 0) {
                    sb.fs.mballoc().freeBlocks(dirBlock, 1);
                }
                sb.fs.ialloc().freeInode(ino, isDir);
                raw.i_links_count(0);
                raw.i_dtime(sb.now());
                raw.i_size(0);
                raw.i_blocks(0);
                raw.i_block(ExtentNode.leaf(4, 0, List.of()).toIBlock());
                sb.fs.inodes().write(raw);
                throw new ErrnoException(Errno.ENOSPC, "no free block for directory inode " + dir.ino + ": " + e.getMessage());
            }
            sb.put(ei);
            dir.size = dir.raw.i_size();
            dir.raw.mtime(sb.currentTime());
            dir.raw.ctime(dir.raw.mtime());
            sb.markInodeDirty(ctx, h, dir, v6 ? Caller.ADD_DIRENT_MARK_6X : Caller.ADD_DIRENT_MARK, true);
            if (isDir) {
                int links = dir.raw.i_links_count();
                dir.raw.i_links_count(links >= 65000 - 1 || links == 1 ? 1 : links + 1);
                sb.markInodeDirty(ctx, h, dir, Caller.MKDIR_MARK, true);
            } else {
                sb.markInodeDirty(ctx, h, ei, v6 ? Caller.ADD_NONDIR_MARK_6X : Caller.ADD_NONDIR_MARK, true);
            }
            return ino;
        } finally {
            sb.journalStop(h);
        }
    }

    /**
     * ext4_unlink: the entry goes; an inode left without a link joins the orphan list in the same handle, so that a
     * crash before its eviction (a file still open) leaves it for the next mount's ext4_orphan_cleanup to delete. The
     * inode goes once no link and no open file is left.
     */
    void unlink(TraceContext ctx, int dirIno, String name) {
        checkName(name);
        Ext4InodeInfo dir = dir(dirIno);
        if (name.equals(".") || name.equals("..")) {
            throw new ErrnoException(Errno.EISDIR, "'" + name + "' is a directory");
        }
        int ino = sb.fs.namei().lookup(dir.raw, name);
        if (ino == 0) {
            throw new ErrnoException(Errno.ENOENT, "no '" + name + "' in directory inode " + dirIno);
        }
        Ext4InodeInfo ei = sb.iget(ino, dirIno);
        if (ei.isDir()) {
            throw new ErrnoException(Errno.EISDIR, "'" + name + "' is a directory; unlink removes files");
        }
        sb.trace.ext4(Ext4Trace.UNLINK_ENTER, ctx, (long) ino, ei.size, (long) dirIno);
        Ext4Handle h = sb.journalStart(ctx, null, Super.HT_DIR, credits(dir), Caller.UNLINK, dir.ino);
        try {
            deleteEntry(dir, name);
            dir.raw.mtime(sb.currentTime());
            dir.raw.ctime(dir.raw.mtime());
            sb.markInodeDirty(ctx, h, dir, Caller.UNLINK_MARK, true);
            ei.raw.i_links_count(ei.raw.i_links_count() - 1);
            if (ei.raw.i_links_count() == 0) {
                orphans.add(ctx, h, ei);
            }
            ei.raw.ctime(sb.currentTime());
            sb.markInodeDirty(ctx, h, ei, Caller.UNLINK_MARK, true);
        } finally {
            sb.journalStop(h);
        }
        dcache.add(dirIno, name, 0);
        sb.trace.ext4(Ext4Trace.UNLINK_EXIT, ctx, (long) ino, 0);
        if (ei.isFreeable()) {
            evict.evict(ctx, ei);
        }
    }

    /** ext4_delete_entry: the record merges into the one before it, or (first in its block) is marked unused. */
    private void deleteEntry(Ext4InodeInfo dir, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        long blocks = dir.raw.i_size() / sb.fs.blockSize();
        for (long l = 0; l < blocks; l++) {
            DirBlock blk = sb.fs.namei().readBlock(dir.raw, l);
            List<DirEntry> list = new ArrayList<>(blk.entries());
            for (int i = 0; i < list.size(); i++) {
                DirEntry e = list.get(i);
                if (e.inode() != 0 && Arrays.equals(e.name(), n)) {
                    if (i > 0) {
                        DirEntry prev = list.get(i - 1);
                        list.set(i - 1, prev.withRecLen(prev.recLen() + e.recLen()));
                        list.remove(i);
                    } else {
                        list.set(i, new DirEntry(0, e.recLen(), e.name(), e.fileType()));
                    }
                    sb.fs.namei().writeBlock(dir.raw, sb.fs.extents().map(dir.raw, l), new DirBlock(list, blk.tail(), blk.base()));
                    return;
                }
            }
        }
        throw new ErrnoException(Errno.ENOENT, "no '" + name + "' in directory inode " + dir.ino);
    }
}
