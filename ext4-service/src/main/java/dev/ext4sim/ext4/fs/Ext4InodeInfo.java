package dev.ext4sim.ext4.fs;

import dev.ext4sim.ext4.port.JournalTid;
import dev.ext4sim.ondisk.ext4.Inode;

/**
 * An in-core inode: the VFS inode's state (i_size, i_state, dirtied_when, open files) and ext4_inode_info's (the
 * on-disk copy whose i_size is i_disksize, the extent status tree, delalloc reservations, the fsync tids), with its
 * page cache. Guarded by the filesystem lock.
 */
final class Ext4InodeInfo {
    final int ino;
    /** The raw inode as ext4_mark_inode_dirty writes it; its i_size is i_disksize. */
    Inode raw;
    /** i_size: what the file holds, written pages included. */
    long size;
    /** i_state's I_DIRTY_* bits. */
    int state;
    long dirtiedWhen;
    int reservedDataBlocks;
    /** The directory it was last reached from (the dentry parent, for ext4_sync_file_enter). */
    int parent;
    int openCount;
    /** i_writecount: the open files that may write (FMODE_WRITE). */
    int writers;
    /** i_dir_start_lookup: the directory block where the last lookup found its name, where the next one starts. */
    long dirStartLookup;
    /** mapping->writeback_index: where a cyclic writeback resumes. */
    long writebackIndex;
    /** Pages under writeback (PAGECACHE_TAG_WRITEBACK): the data bio submitted, the folio not yet ended. */
    int writebackPages;
    /** EXT4_STATE_DA_ALLOC_CLOSE: truncated to zero, so the close allocates what was written since (auto_da_alloc). */
    boolean daAllocClose;
    JournalTid syncTid;
    JournalTid datasyncTid;
    final ExtentStatus es = new ExtentStatus();
    final PageCache pages;
    /** When the inode was last used, by the filesystem's clock of uses: reclaim takes the oldest first. */
    long lastUsed;

    Ext4InodeInfo(Inode raw, int parent, java.util.concurrent.atomic.AtomicLong cachedPages) {
        this.pages = new PageCache(cachedPages);
        this.ino = raw.ino();
        this.raw = raw;
        this.size = raw.i_size();
        this.parent = parent;
    }

    long disksize() {
        return raw.i_size();
    }

    void disksize(long v) {
        raw.i_size(v);
    }

    boolean isDir() {
        return raw.isDir();
    }

    boolean isReg() {
        return raw.isReg();
    }

    int mode() {
        return raw.i_mode();
    }

    int nlink() {
        return raw.i_links_count();
    }

    boolean isFreeable() {
        return raw.i_links_count() == 0 && openCount == 0;
    }
}
