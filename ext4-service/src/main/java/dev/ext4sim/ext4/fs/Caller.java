package dev.ext4sim.ext4.fs;

/**
 * A call site as the traces name it: {@code %pS} of the return address (symbol+offset/size; offsets are those of
 * one plausible 4.x build) and, for handle starts, the source line jbd2 records as {@code line_no}.
 */
record Caller(String symbol, int lineNo) {
    static final Caller DA_WRITE_BEGIN = new Caller("ext4_da_write_begin+0x1c4/0x4f0", 3005);
    static final Caller DA_WRITE_END = new Caller("ext4_da_write_end+0xd8/0x2e0", 3102);
    static final Caller WRITE_BEGIN = new Caller("ext4_write_begin+0x15c/0x560", 1192);
    static final Caller WRITE_END = new Caller("ext4_write_end+0x9c/0x3c0", 1301);
    static final Caller JOURNALLED_WRITE_END = new Caller("ext4_journalled_write_end+0x1e0/0x4a0", 1439);
    static final Caller DIRTY_INODE = new Caller("ext4_dirty_inode+0x48/0x70", 5773);
    static final Caller DIRTY_INODE_MARK = new Caller("ext4_dirty_inode+0x5c/0x70", 5775);
    static final Caller WRITEPAGES = new Caller("ext4_writepages+0x4f4/0xe70", 2843);
    static final Caller WRITEPAGES_MARK = new Caller("ext4_writepages+0x7a8/0xe70", 2352);
    static final Caller EXT_DIRTY = new Caller("__ext4_ext_dirty+0x5c/0x70", 168);
    static final Caller NEW_INODE = new Caller("__ext4_new_inode+0x8f4/0x1560", 892);
    static final Caller NEW_INODE_MARK = new Caller("__ext4_new_inode+0xe2c/0x1560", 1077);
    /**
     * 6.x (the 6.18 capture's build): __ext4_new_inode's handle for ext4_create (line_no: ext4_create's __LINE__),
     * the mark of ext4_ext_tree_init (inlined, so it prints as __ext4_new_inode's) and __ext4_new_inode's own.
     */
    static final Caller NEW_INODE_6X = new Caller("__ext4_new_inode+0xd42/0x17e0", 2827);
    static final Caller EXT_TREE_INIT_MARK_6X = new Caller("__ext4_new_inode+0x17bc/0x17e0", 0);
    static final Caller NEW_INODE_MARK_6X = new Caller("__ext4_new_inode+0xc7f/0x17e0", 0);
    static final Caller ADD_DIRENT_MARK_6X = new Caller("add_dirent_to_buf+0x105/0x1b0", 0);
    static final Caller ADD_NONDIR_MARK_6X = new Caller("ext4_add_nondir+0x93/0xf0", 0);
    /** 6.x ext4_file_open → ext4_sample_last_mounted (inlined), line_no of its ext4_journal_start_sb. */
    static final Caller FILE_OPEN_6X = new Caller("ext4_file_open+0x2c1/0x520", 869);
    /** 6.x ext4_da_do_write_end's i_disksize handle (inlined in ext4_da_write_end; not in the capture: unverified). */
    static final Caller DA_DO_WRITE_END_6X = new Caller("ext4_da_write_end+0x1b6/0x3a0", 3155);
    static final Caller DA_DO_WRITE_END_MARK_6X = new Caller("ext4_da_write_end+0x1c9/0x3a0", 0);
    static final Caller ADD_DIRENT_MARK = new Caller("add_dirent_to_buf+0x1a0/0x2a0", 1944);
    static final Caller ADD_NONDIR_MARK = new Caller("ext4_add_nondir+0x38/0xb0", 2460);
    static final Caller INIT_NEW_DIR_MARK = new Caller("ext4_init_new_dir+0x15c/0x1f0", 2620);
    static final Caller MKDIR_MARK = new Caller("ext4_mkdir+0x1f0/0x3f0", 2679);
    static final Caller UNLINK = new Caller("ext4_unlink+0x6c/0x370", 3096);
    static final Caller UNLINK_MARK = new Caller("ext4_unlink+0x1f8/0x370", 3133);
    static final Caller SETATTR = new Caller("ext4_setattr+0x2d4/0x8c0", 5548);
    static final Caller SETATTR_MARK = new Caller("ext4_setattr+0x33c/0x8c0", 5567);
    static final Caller TRUNCATE = new Caller("ext4_truncate+0x16c/0x3f0", 4310);
    static final Caller TRUNCATE_MARK = new Caller("ext4_truncate+0x2c0/0x3f0", 4371);
    static final Caller EVICT_INODE = new Caller("ext4_evict_inode+0x1a8/0x640", 230);
    /**
     * 4.19's direct write (inode.c; ext4_direct_IO_write is inlined into ext4_direct_IO): the get_block handle of
     * ext4_get_block_trans, the orphan handle before the I/O and the size handle after it, and the conversion's
     * handle per extent (extents.c). Line numbers are 4.19's.
     */
    static final Caller GET_BLOCK_TRANS = new Caller("ext4_get_block_trans+0x5c/0x110", 840);
    static final Caller DIRECT_IO_ORPHAN = new Caller("ext4_direct_IO+0x1b8/0x7c0", 3696);
    static final Caller DIRECT_IO_EXTEND = new Caller("ext4_direct_IO+0x3d4/0x7c0", 3791);
    static final Caller DIRECT_IO_EXTEND_MARK = new Caller("ext4_direct_IO+0x42c/0x7c0", 0);
    static final Caller CONVERT_UNWRITTEN = new Caller("ext4_convert_unwritten_extents+0xa8/0x1b0", 5036);
    static final Caller CONVERT_UNWRITTEN_MARK = new Caller("ext4_convert_unwritten_extents+0xd0/0x1b0", 0);
}
