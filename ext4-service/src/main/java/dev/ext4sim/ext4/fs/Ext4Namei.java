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
    private final Super sb;
    private final Evict evict;

    Ext4Namei(Super sb, Evict evict) {
        this.sb = sb;
        this.evict = evict;
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

    /** ext4_lookup: the inode of {@code name} in {@code dirIno}, or ENOENT. */
    int lookup(int dirIno, String name) {
        checkName(name);
        Ext4InodeInfo dir = dir(dirIno);
        int ino = sb.fs.namei().lookup(dir.raw, name);
        if (ino == 0) {
            throw new ErrnoException(Errno.ENOENT, "no '" + name + "' in directory inode " + dirIno);
        }
        sb.iget(ino, dirIno);
        return ino;
    }

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

    /** ext4_create. */
    int create(TraceContext ctx, int dirIno, String name, int perm) {
        Ext4InodeInfo dir = dir(dirIno);
        requireAbsent(dir, name);
        return newInode(ctx, dir, name, Ext4.S_IFREG | (perm & 07777), false);
    }

    /** ext4_mkdir. */
    int mkdir(TraceContext ctx, int dirIno, String name, int perm) {
        Ext4InodeInfo dir = dir(dirIno);
        requireAbsent(dir, name);
        return newInode(ctx, dir, name, Ext4.S_IFDIR | (perm & 07777), true);
    }

    /**
     * __ext4_new_inode (the inode is marked dirty before ext4_allocate_inode), ext4_init_new_dir for a directory, then
     * ext4_add_entry and the parent's and the child's final marks, in 4.x order. On ENOSPC after the inode was taken
     * it is given back as ext4_evict_inode would leave it (bitmap bit clear, slot deleted).
     */
    private int newInode(TraceContext ctx, Ext4InodeInfo dir, String name, int mode, boolean isDir) {
        sb.trace.ext4(Ext4Trace.REQUEST_INODE, ctx, (long) dir.ino, mode);
        Ext4Handle h = sb.journalStart(ctx, null, Super.HT_DIR, credits(dir) + (isDir ? 6 : 0), Caller.NEW_INODE);
        try {
            int ino;
            try {
                ino = sb.fs.ialloc().newInode(dir.ino, isDir);
            } catch (NoSpaceException e) {
                throw new ErrnoException(Errno.ENOSPC, "no free inode: " + e.getMessage());
            }
            Inode raw = sb.fs.ialloc().initInode(ino, mode, isDir ? 2 : 1);
            Ext4InodeInfo ei = new Ext4InodeInfo(raw, dir.ino, sb.cachedPages);
            sb.markInodeDirty(ctx, h, ei, Caller.NEW_INODE_MARK, true);
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
                sb.allocating(() -> {
                    sb.fs.namei().addEntry(dir.raw, name, ino, Ext4.fileType(mode));
                    return null;
                });
            } catch (NoSpaceException e) {
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
            sb.markInodeDirty(ctx, h, dir, Caller.ADD_DIRENT_MARK, true);
            if (isDir) {
                int links = dir.raw.i_links_count();
                dir.raw.i_links_count(links >= 65000 - 1 || links == 1 ? 1 : links + 1);
                sb.markInodeDirty(ctx, h, dir, Caller.MKDIR_MARK, true);
            } else {
                sb.markInodeDirty(ctx, h, ei, Caller.ADD_NONDIR_MARK, true);
            }
            return ino;
        } finally {
            sb.journalStop(h);
        }
    }

    /** ext4_unlink: the entry goes; the inode too once no link and no open file is left. */
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
        Ext4Handle h = sb.journalStart(ctx, null, Super.HT_DIR, credits(dir), Caller.UNLINK);
        try {
            deleteEntry(dir, name);
            dir.raw.mtime(sb.currentTime());
            dir.raw.ctime(dir.raw.mtime());
            sb.markInodeDirty(ctx, h, dir, Caller.UNLINK_MARK, true);
            ei.raw.i_links_count(ei.raw.i_links_count() - 1);
            ei.raw.ctime(sb.currentTime());
            sb.markInodeDirty(ctx, h, ei, Caller.UNLINK_MARK, true);
        } finally {
            sb.journalStop(h);
        }
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
