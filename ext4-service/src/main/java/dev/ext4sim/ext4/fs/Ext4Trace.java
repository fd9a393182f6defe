package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracepoint;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ext4.port.BlockPort;
import java.math.BigInteger;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * ext4's tracepoints (include/trace/events/ext4.h, 4.x formats of tracepoints.md §5), the writeback events that
 * run inside ext4's call path in the writer's task (§6), and the block layer's buffer-head events of ext4's
 * buffers. {@code dev} holds the dev_t and prints as MAJOR,MINOR; flag fields hold the kernel's bits and print
 * through their tables.
 */
public final class Ext4Trace {
    static final String EXT4 = "ext4";
    static final String WB = "writeback";

    private static final String W_BEGIN = "dev %d,%d ino %lu pos %lld len %u flags %u";
    private static final String W_END = "dev %d,%d ino %lu pos %lld len %u copied %u";
    private static final String ES = "dev %d,%d ino %lu es [%u/%u) mapped %llu status %s";

    public static final Tracepoint DA_WRITE_BEGIN = dev(EXT4, "ext4_da_write_begin", W_BEGIN, "ino", "pos", "len", "flags");
    public static final Tracepoint WRITE_BEGIN = dev(EXT4, "ext4_write_begin", W_BEGIN, "ino", "pos", "len", "flags");
    public static final Tracepoint DA_WRITE_END = dev(EXT4, "ext4_da_write_end", W_END, "ino", "pos", "len", "copied");
    public static final Tracepoint WRITE_END = dev(EXT4, "ext4_write_end", W_END, "ino", "pos", "len", "copied");
    public static final Tracepoint JOURNALLED_WRITE_END = dev(EXT4, "ext4_journalled_write_end", W_END, "ino", "pos", "len", "copied");
    /** 6.x (the write_begin flags argument went in 6.0): no flags field. */
    public static final Tracepoint DA_WRITE_BEGIN_6X = dev(EXT4, "ext4_da_write_begin", "dev %d,%d ino %lu pos %lld len %u",
            "ino", "pos", "len");
    public static final Tracepoint WRITE_BEGIN_6X = dev(EXT4, "ext4_write_begin", "dev %d,%d ino %lu pos %lld len %u",
            "ino", "pos", "len");
    /** 4.x: the number follows the comma; fields (dev, ip, blocks, rsv_blocks), printed (blocks, rsv_blocks, ip). */
    public static final Tracepoint JOURNAL_START = Tracepoint.define(EXT4, "ext4_journal_start",
                    "dev %d,%d blocks, %d rsv_blocks, %d caller %pS", "dev", "ip", "blocks", "rsv_blocks")
            .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[2], v[3], v[1]});
    /** 6.3+: ext4_journal_start split by whether the handle is for an inode; revoke_creds since 5.5. */
    public static final Tracepoint JOURNAL_START_SB = Tracepoint.define(EXT4, "ext4_journal_start_sb",
                    "dev %d,%d blocks %d, rsv_blocks %d, revoke_creds %d, type %d, caller %pS",
                    "dev", "ip", "blocks", "rsv_blocks", "revoke_creds", "type")
            .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[2], v[3], v[4], v[5], v[1]});
    public static final Tracepoint JOURNAL_START_INODE = Tracepoint.define(EXT4, "ext4_journal_start_inode",
                    "dev %d,%d blocks %d, rsv_blocks %d, revoke_creds %d, type %d, ino %lu, caller %pS",
                    "dev", "ino", "ip", "blocks", "rsv_blocks", "revoke_creds", "type")
            .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[3], v[4], v[5], v[6], v[1], v[2]});
    public static final Tracepoint MARK_INODE_DIRTY = dev(EXT4, "ext4_mark_inode_dirty", "dev %d,%d ino %lu caller %pS", "ino", "ip");
    public static final Tracepoint ES_LOOKUP_EXTENT_ENTER = dev(EXT4, "ext4_es_lookup_extent_enter", "dev %d,%d ino %lu lblk %u", "ino", "lblk");
    /** Printed (found, lblk, len, found ? pblk : 0, show_extent_status(found ? status : 0)). */
    public static final Tracepoint ES_LOOKUP_EXTENT_EXIT = Tracepoint.define(EXT4, "ext4_es_lookup_extent_exit",
                    "dev %d,%d ino %lu found %d [%u/%u) %llu %s", "dev", "ino", "lblk", "len", "pblk", "status", "found")
            .printk(v -> {
                boolean found = ((Number) v[6]).intValue() != 0;
                return new Object[]{major(v[0]), minor(v[0]), v[1], v[6], v[2], v[3], found ? v[4] : 0L,
                    Flags.print(found ? ((Number) v[5]).longValue() : 0, "", Flags.ES_BITS, Flags.ES_NAMES)};
            });
    public static final Tracepoint EXT_MAP_BLOCKS_ENTER = dev(EXT4, "ext4_ext_map_blocks_enter",
            "dev %d,%d ino %lu lblk %u len %u flags %s", v -> withFlags(v, 5, Flags.MAP_FLAG_BITS, Flags.MAP_FLAG_NAMES, "|"),
            "ino", "lblk", "len", "flags");
    public static final Tracepoint EXT_MAP_BLOCKS_EXIT = dev(EXT4, "ext4_ext_map_blocks_exit",
            "dev %d,%d ino %lu flags %s lblk %u pblk %llu len %u mflags %s ret %d",
            // struct order (.., flags, pblk, lblk, ..), printed (.., flags, lblk, pblk, ..)
            a -> new Object[]{a[0], a[1], a[2], Flags.print(((Number) a[3]).longValue(), "|", Flags.MAP_FLAG_BITS, Flags.MAP_FLAG_NAMES),
                a[5], a[4], a[6], Flags.print(((Number) a[7]).longValue(), "", Flags.MFLAG_BITS, Flags.MFLAG_NAMES), a[8]},
            "ino", "flags", "pblk", "lblk", "len", "mflags", "ret");
    /** 4.x name of ext4_es_find_extent_range_*. */
    public static final Tracepoint ES_FIND_DELAYED_EXTENT_RANGE_ENTER = dev(EXT4, "ext4_es_find_delayed_extent_range_enter",
            "dev %d,%d ino %lu lblk %u", "ino", "lblk");
    public static final Tracepoint ES_FIND_DELAYED_EXTENT_RANGE_EXIT = es("ext4_es_find_delayed_extent_range_exit");
    public static final Tracepoint ES_INSERT_EXTENT = es("ext4_es_insert_extent");
    /** 5.x and 6.x names of the 4.x ext4_es_find_delayed_extent_range_*. */
    public static final Tracepoint ES_FIND_EXTENT_RANGE_ENTER = dev(EXT4, "ext4_es_find_extent_range_enter",
            "dev %d,%d ino %lu lblk %u", "ino", "lblk");
    public static final Tracepoint ES_FIND_EXTENT_RANGE_EXIT = es("ext4_es_find_extent_range_exit");
    /** 6.x (6.9+): a delayed block's insert, in place of ext4_es_insert_extent with status D. */
    public static final Tracepoint ES_INSERT_DELAYED_EXTENT = dev(EXT4, "ext4_es_insert_delayed_extent",
            ES + " allocated %d %d", a -> withFlags(a, 6, Flags.ES_BITS, Flags.ES_NAMES, ""),
            "ino", "lblk", "len", "pblk", "status", "lclu_allocated", "end_allocated");
    /** 5.7+: ext4_cache_extents puts the extents of an i_block tree into the status tree as ext4_find_extent reads it. */
    public static final Tracepoint ES_CACHE_EXTENT = es("ext4_es_cache_extent");
    public static final Tracepoint ES_REMOVE_EXTENT = dev(EXT4, "ext4_es_remove_extent", "dev %d,%d ino %lu es [%lld/%lld)", "ino", "lblk", "len");
    public static final Tracepoint DA_RESERVE_SPACE = dev(EXT4, "ext4_da_reserve_space",
            "dev %d,%d ino %lu mode 0%o i_blocks %llu reserved_data_blocks %d reserved_meta_blocks %d",
            "ino", "mode", "i_blocks", "reserved_data_blocks", "reserved_meta_blocks");
    /**
     * 6.x: the blocks reserved by this call, then the inode's count. The two strings of 6.18's TP_printk join with no
     * space between them ("reserve_blocks 1reserved_data_blocks 1"), as the kernel prints it.
     */
    public static final Tracepoint DA_RESERVE_SPACE_6X = dev(EXT4, "ext4_da_reserve_space",
            "dev %d,%d ino %lu mode 0%o i_blocks %llu reserve_blocks %dreserved_data_blocks %d",
            "ino", "mode", "i_blocks", "reserve_blocks", "reserved_data_blocks");
    public static final Tracepoint DA_UPDATE_RESERVE_SPACE = dev(EXT4, "ext4_da_update_reserve_space",
            "dev %d,%d ino %lu mode 0%o i_blocks %llu used_blocks %d reserved_data_blocks %d reserved_meta_blocks %d allocated_meta_blocks %d quota_claim %d",
            "ino", "mode", "i_blocks", "used_blocks", "reserved_data_blocks", "reserved_meta_blocks", "allocated_meta_blocks", "quota_claim");
    public static final Tracepoint DA_RELEASE_SPACE = dev(EXT4, "ext4_da_release_space",
            "dev %d,%d ino %lu mode 0%o i_blocks %llu freed_blocks %d reserved_data_blocks %d reserved_meta_blocks %d",
            "ino", "mode", "i_blocks", "freed_blocks", "reserved_data_blocks", "reserved_meta_blocks");
    public static final Tracepoint REQUEST_BLOCKS = dev(EXT4, "ext4_request_blocks",
            "dev %d,%d ino %lu flags %s len %u lblk %u goal %llu lleft %u lright %u pleft %llu pright %llu ",
            v -> withFlags(v, 3, Flags.MB_BITS, Flags.MB_NAMES, "|"),
            "ino", "flags", "len", "logical", "goal", "lleft", "lright", "pleft", "pright");
    public static final Tracepoint ALLOCATE_BLOCKS = dev(EXT4, "ext4_allocate_blocks",
            "dev %d,%d ino %lu flags %s len %u block %llu lblk %u goal %llu lleft %u lright %u pleft %llu pright %llu",
            v -> withFlags(v, 3, Flags.MB_BITS, Flags.MB_NAMES, "|"),
            "ino", "flags", "len", "block", "logical", "goal", "lleft", "lright", "pleft", "pright");
    /** Each triple group/start/len@logical; broken = buddy ? 1 << buddy : 0; 4.x prints cr as a number. */
    public static final Tracepoint MBALLOC_ALLOC = Tracepoint.define(EXT4, "ext4_mballoc_alloc",
                    "dev %d,%d inode %lu orig %u/%d/%u@%u goal %u/%d/%u@%u result %u/%d/%u@%u blks %u grps %u cr %u flags %s tail %u broken %u",
                    "dev", "ino", "orig_logical", "orig_start", "orig_group", "orig_len", "goal_logical", "goal_start",
                    "goal_group", "goal_len", "result_logical", "result_start", "result_group", "result_len", "found",
                    "groups", "buddy", "flags", "tail", "cr")
            .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[1], v[4], v[3], v[5], v[2], v[8], v[7], v[9], v[6],
                v[12], v[11], v[13], v[10], v[14], v[15], v[19], Flags.print(((Number) v[17]).longValue(), "|", Flags.MB_BITS, Flags.MB_NAMES),
                v[18], ((Number) v[16]).intValue() != 0 ? 1 << ((Number) v[16]).intValue() : 0});
    /** Fields (dev, ino, orig_logical, orig_start, orig_group, orig_len, result_* alike); each pair group/start/len@logical. */
    public static final Tracepoint MBALLOC_PREALLOC = Tracepoint.define(EXT4, "ext4_mballoc_prealloc",
                    "dev %d,%d inode %lu orig %u/%d/%u@%u result %u/%d/%u@%u",
                    "dev", "ino", "orig_logical", "orig_start", "orig_group", "orig_len", "result_logical", "result_start",
                    "result_group", "result_len")
            .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[1], v[4], v[3], v[5], v[2], v[8], v[7], v[9], v[6]});
    public static final Tracepoint MB_NEW_GROUP_PA = dev(EXT4, "ext4_mb_new_group_pa",
            "dev %d,%d ino %lu pstart %llu len %u lstart %llu", "ino", "pa_pstart", "pa_len", "pa_lstart");
    public static final Tracepoint MB_RELEASE_GROUP_PA = dev(EXT4, "ext4_mb_release_group_pa",
            "dev %d,%d pstart %llu len %u", "pa_pstart", "pa_len");
    public static final Tracepoint MB_DISCARD_PREALLOCATIONS = dev(EXT4, "ext4_mb_discard_preallocations",
            "dev %d,%d needed %d", "needed");
    /** ext4__mballoc: fields (dev, ino, result_start, result_group, result_len), printed group/start/len, a space after. */
    public static final Tracepoint MBALLOC_DISCARD = Tracepoint.define(EXT4, "ext4_mballoc_discard",
                    "dev %d,%d inode %lu extent %u/%d/%d ", "dev", "ino", "result_start", "result_group", "result_len")
            .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[1], v[3], v[2], v[4]});
    public static final Tracepoint WRITEPAGES = dev(EXT4, "ext4_writepages",
            "dev %d,%d ino %lu nr_to_write %ld pages_skipped %ld range_start %lld range_end %lld sync_mode %d for_kupdate %d range_cyclic %d writeback_index %lu",
            "ino", "nr_to_write", "pages_skipped", "range_start", "range_end", "sync_mode", "for_kupdate", "range_cyclic", "writeback_index");
    public static final Tracepoint DA_WRITE_PAGES = dev(EXT4, "ext4_da_write_pages",
            "dev %d,%d ino %lu first_page %lu nr_to_write %ld sync_mode %d", "ino", "first_page", "nr_to_write", "sync_mode");
    public static final Tracepoint DA_WRITE_PAGES_EXTENT = dev(EXT4, "ext4_da_write_pages_extent",
            "dev %d,%d ino %lu lblk %llu len %u flags %s", v -> withFlags(v, 5, Flags.MFLAG_BITS, Flags.MFLAG_NAMES, ""),
            "ino", "lblk", "len", "flags");
    public static final Tracepoint WRITEPAGES_RESULT = dev(EXT4, "ext4_writepages_result",
            "dev %d,%d ino %lu ret %d pages_written %d pages_skipped %ld sync_mode %d writeback_index %lu",
            "ino", "ret", "pages_written", "pages_skipped", "sync_mode", "writeback_index");
    public static final Tracepoint SYNC_FILE_ENTER = dev(EXT4, "ext4_sync_file_enter",
            "dev %d,%d ino %lu parent %lu datasync %d ", "ino", "parent", "datasync");
    public static final Tracepoint SYNC_FILE_EXIT = dev(EXT4, "ext4_sync_file_exit", "dev %d,%d ino %lu ret %d", "ino", "ret");
    public static final Tracepoint SYNC_FS = dev(EXT4, "ext4_sync_fs", "dev %d,%d wait %d", "wait");
    public static final Tracepoint REQUEST_INODE = dev(EXT4, "ext4_request_inode", "dev %d,%d dir %lu mode 0%o", "dir", "mode");
    public static final Tracepoint ALLOCATE_INODE = dev(EXT4, "ext4_allocate_inode", "dev %d,%d ino %lu dir %lu mode 0%o", "ino", "dir", "mode");
    /** ext4_read_inode_bitmap of a group whose bitmap buffer is not uptodate yet (its read follows). */
    public static final Tracepoint LOAD_INODE_BITMAP = dev(EXT4, "ext4_load_inode_bitmap", "dev %d,%d group %u", "group");
    public static final Tracepoint FREE_INODE = dev(EXT4, "ext4_free_inode", "dev %d,%d ino %lu mode 0%o uid %u gid %u blocks %llu",
            "ino", "mode", "uid", "gid", "blocks");
    public static final Tracepoint UNLINK_ENTER = dev(EXT4, "ext4_unlink_enter", "dev %d,%d ino %lu size %lld parent %lu", "ino", "size", "parent");
    public static final Tracepoint UNLINK_EXIT = dev(EXT4, "ext4_unlink_exit", "dev %d,%d ino %lu ret %d", "ino", "ret");
    public static final Tracepoint TRUNCATE_ENTER = dev(EXT4, "ext4_truncate_enter", "dev %d,%d ino %lu blocks %llu", "ino", "blocks");
    public static final Tracepoint TRUNCATE_EXIT = dev(EXT4, "ext4_truncate_exit", "dev %d,%d ino %lu blocks %llu", "ino", "blocks");
    public static final Tracepoint ALLOC_DA_BLOCKS = dev(EXT4, "ext4_alloc_da_blocks", "dev %d,%d ino %lu reserved_data_blocks %u",
            "ino", "reserved_data_blocks");
    /** Fields (dev, ino, pblk, lblk, len), printed (lblk, pblk, len). */
    public static final Tracepoint EXT_SHOW_EXTENT = dev(EXT4, "ext4_ext_show_extent", "dev %d,%d ino %lu lblk %u pblk %llu len %u",
            a -> new Object[]{a[0], a[1], a[2], a[4], a[3], a[5]}, "ino", "pblk", "lblk", "len");
    /** 4.x only (gone with the bigalloc rework of 4.20). */
    public static final Tracepoint GET_RESERVED_CLUSTER_ALLOC = dev(EXT4, "ext4_get_reserved_cluster_alloc",
            "dev %d,%d ino %lu lblk %u len %u", "ino", "lblk", "len");
    /** 4.x: no len. */
    public static final Tracepoint DISCARD_PREALLOCATIONS = dev(EXT4, "ext4_discard_preallocations", "dev %d,%d ino %lu", "ino");

    /** ≤5.17 name of writeback_dirty_folio; {@code name} is the bdi ("8:0"). */
    public static final Tracepoint WB_DIRTY_PAGE = Tracepoint.define(WB, "writeback_dirty_page",
            "bdi %s: ino=%lu index=%lu", "name", "ino", "index");
    /** 5.18+: the same event under its folio name. */
    public static final Tracepoint WB_DIRTY_FOLIO = Tracepoint.define(WB, "writeback_dirty_folio",
            "bdi %s: ino=%lu index=%lu", "name", "ino", "index");
    /**
     * 5.3+ mem_cgroup_track_foreign_dirty_slowpath, after writeback_dirty_folio: the folio's memcg is not the wb's.
     * {@code name} is the bdi, {@code bdi_id} its id (bdi->id).
     */
    public static final Tracepoint TRACK_FOREIGN_DIRTY = Tracepoint.define(WB, "track_foreign_dirty",
            "bdi %s[%llu]: ino=%lu memcg_id=%u cgroup_ino=%lu page_cgroup_ino=%lu",
            "name", "bdi_id", "ino", "memcg_id", "cgroup_ino", "page_cgroup_ino");
    public static final Tracepoint WB_MARK_INODE_DIRTY = dirtyInode("writeback_mark_inode_dirty");
    public static final Tracepoint WB_DIRTY_INODE_START = dirtyInode("writeback_dirty_inode_start");
    public static final Tracepoint WB_DIRTY_INODE = dirtyInode("writeback_dirty_inode");

    /**
     * include/trace/events/block.h's block_buffer class (4.19 and 6.x alike): the buffer's bdev (the partition), its
     * b_blocknr (a filesystem block, not a sector, despite the name; printed unsigned) and b_size.
     */
    static final String BLOCK = "block";
    public static final Tracepoint BLOCK_TOUCH_BUFFER = blockBuffer("block_touch_buffer");
    public static final Tracepoint BLOCK_DIRTY_BUFFER = blockBuffer("block_dirty_buffer");

    /** 6.x (6.9+): ext4_da_write_pages split in two around one mapped extent, byte positions in hex. */
    public static final Tracepoint DA_WRITE_FOLIOS_START = dev(EXT4, "ext4_da_write_folios_start",
            "dev %d,%d ino %lu start_pos 0x%llx next_pos 0x%llx nr_to_write %ld sync_mode %d",
            "ino", "start_pos", "next_pos", "nr_to_write", "sync_mode");
    public static final Tracepoint DA_WRITE_FOLIOS_END = dev(EXT4, "ext4_da_write_folios_end",
            "dev %d,%d ino %lu start_pos 0x%llx next_pos 0x%llx nr_to_write %ld ret %d",
            "ino", "start_pos", "next_pos", "nr_to_write", "ret");
    /** The handle reserved by writepages, started by the unwritten-extent conversion; the number follows the comma. */
    public static final Tracepoint JOURNAL_START_RESERVED = Tracepoint.define(EXT4, "ext4_journal_start_reserved",
                    "dev %d,%d blocks, %d caller %pS", "dev", "ip", "blocks")
            .printk(v -> new Object[]{major(v[0]), minor(v[0]), v[2], v[1]});
    public static final Tracepoint EXT_HANDLE_UNWRITTEN_EXTENTS = dev(EXT4, "ext4_ext_handle_unwritten_extents",
            "dev %d,%d ino %lu m_lblk %u m_pblk %llu m_len %u flags %s allocated %d newblock %llu",
            v -> withFlags(v, 6, Flags.MAP_FLAG_BITS, Flags.MAP_FLAG_NAMES, "|"),
            "ino", "lblk", "pblk", "len", "flags", "allocated", "newblk");
    /** 6.x (5.10+): with the length of the inode preallocation list discarded. */
    public static final Tracepoint DISCARD_PREALLOCATIONS_6X = dev(EXT4, "ext4_discard_preallocations",
            "dev %d,%d ino %lu len: %u", "ino", "len");
    /** writeback_inode_template: a mapping's first folio under writeback, and its last one done (5.9+). */
    public static final Tracepoint SB_MARK_INODE_WRITEBACK = writebackInode("sb_mark_inode_writeback");
    public static final Tracepoint SB_CLEAR_INODE_WRITEBACK = writebackInode("sb_clear_inode_writeback");
    /** 5.16+: a wait for a folio's writeback; {@code name} is the bdi. */
    public static final Tracepoint FOLIO_WAIT_WRITEBACK = Tracepoint.define(WB, "folio_wait_writeback",
            "bdi %s: ino=%lu index=%lu", "name", "ino", "index");
    /** 4.x ext4_direct_IO around the read or write; rw 1 is a write. Gone with the iomap rework (5.5). */
    public static final Tracepoint DIRECT_IO_ENTER = dev(EXT4, "ext4_direct_IO_enter",
            "dev %d,%d ino %lu pos %lld len %lu rw %d", "ino", "pos", "len", "rw");
    public static final Tracepoint DIRECT_IO_EXIT = dev(EXT4, "ext4_direct_IO_exit",
            "dev %d,%d ino %lu pos %lld len %lu rw %d ret %d", "ino", "pos", "len", "rw", "ret");
    /** 4.x ext4_releasepage: a cached page's buffers dropped (invalidate_inode_pages2_range before a direct write). */
    public static final Tracepoint RELEASEPAGE = dev(EXT4, "ext4_releasepage", "dev %d,%d ino %lu page_index %lu",
            "ino", "index");

    /** 4.x: ext4_ext_map_blocks_enter/_exit and ext4_ext_handle_unwritten_extents with 4.19's show_map_flags table. */
    public static final Tracepoint EXT_MAP_BLOCKS_ENTER_4X = dev(EXT4, "ext4_ext_map_blocks_enter",
            "dev %d,%d ino %lu lblk %u len %u flags %s", v -> withFlags(v, 5, Flags.MAP_FLAG_BITS_4X, Flags.MAP_FLAG_NAMES_4X, "|"),
            "ino", "lblk", "len", "flags");
    public static final Tracepoint EXT_MAP_BLOCKS_EXIT_4X = dev(EXT4, "ext4_ext_map_blocks_exit",
            "dev %d,%d ino %lu flags %s lblk %u pblk %llu len %u mflags %s ret %d",
            a -> new Object[]{a[0], a[1], a[2], Flags.print(((Number) a[3]).longValue(), "|", Flags.MAP_FLAG_BITS_4X, Flags.MAP_FLAG_NAMES_4X),
                a[5], a[4], a[6], Flags.print(((Number) a[7]).longValue(), "", Flags.MFLAG_BITS, Flags.MFLAG_NAMES), a[8]},
            "ino", "flags", "pblk", "lblk", "len", "mflags", "ret");
    public static final Tracepoint EXT_CONVERT_TO_INITIALIZED_ENTER = dev(EXT4, "ext4_ext_convert_to_initialized_enter",
            "dev %d,%d ino %lu m_lblk %u m_len %u u_lblk %u u_len %u u_pblk %llu",
            "ino", "m_lblk", "m_len", "u_lblk", "u_len", "u_pblk");
    public static final Tracepoint EXT_CONVERT_TO_INITIALIZED_FASTPATH = dev(EXT4, "ext4_ext_convert_to_initialized_fastpath",
            "dev %d,%d ino %lu m_lblk %u m_len %u u_lblk %u u_len %u u_pblk %llu i_lblk %u i_len %u i_pblk %llu ",
            "ino", "m_lblk", "m_len", "u_lblk", "u_len", "u_pblk", "i_lblk", "i_len", "i_pblk");
    public static final Tracepoint EXT_HANDLE_UNWRITTEN_EXTENTS_4X = dev(EXT4, "ext4_ext_handle_unwritten_extents",
            "dev %d,%d ino %lu m_lblk %u m_pblk %llu m_len %u flags %s allocated %d newblock %llu",
            v -> withFlags(v, 6, Flags.MAP_FLAG_BITS_4X, Flags.MAP_FLAG_NAMES_4X, "|"),
            "ino", "lblk", "pblk", "len", "flags", "allocated", "newblk");

    private final Tracer tracer;
    private final int devT;
    private final String bdi;
    private final boolean enabled;

    /**
     * @param devT the filesystem's dev_t (8,1 = 0x800001)
     * @param bdi  the whole disk's bdi name ("8:0")
     */
    public Ext4Trace(Tracer tracer, int devT, String bdi) {
        this(tracer, devT, bdi, true);
    }

    /** @param enabled false: nothing is emitted (the events' text is not even built) */
    public Ext4Trace(Tracer tracer, int devT, String bdi, boolean enabled) {
        this.tracer = Objects.requireNonNull(tracer);
        this.devT = devT;
        this.bdi = Objects.requireNonNull(bdi);
        this.enabled = enabled;
    }

    public static int devT(int major, int minor) {
        return major << 20 | minor;
    }

    /** Whether the stack emits 6.x's events (ext4sim.kernel) where the two kernels differ. */
    boolean v6() {
        return tracer.profile().v6();
    }

    /** ext4_ext_map_blocks_enter with the profile's show_map_flags table. */
    Tracepoint extMapBlocksEnter() {
        return v6() ? EXT_MAP_BLOCKS_ENTER : EXT_MAP_BLOCKS_ENTER_4X;
    }

    Tracepoint extMapBlocksExit() {
        return v6() ? EXT_MAP_BLOCKS_EXIT : EXT_MAP_BLOCKS_EXIT_4X;
    }

    Tracepoint extHandleUnwrittenExtents() {
        return v6() ? EXT_HANDLE_UNWRITTEN_EXTENTS : EXT_HANDLE_UNWRITTEN_EXTENTS_4X;
    }

    /** The cpu the task of {@code ctx} runs on, as its events print it (smp_processor_id()). */
    int cpu(TraceContext ctx) {
        return tracer.cpuOf(ctx.task());
    }

    /** Emits an ext4 event: {@code values} are the fields after {@code dev}. */
    void ext4(Tracepoint tp, TraceContext ctx, Object... values) {
        if (!enabled) {
            return;
        }
        Object[] all = new Object[values.length + 1];
        all[0] = devT;
        System.arraycopy(values, 0, all, 1, values.length);
        tracer.emit(tp, ctx, all);
    }

    /** Emits a writeback event: {@code values} are the fields after the bdi name. */
    void writeback(Tracepoint tp, TraceContext ctx, Object... values) {
        if (!enabled) {
            return;
        }
        Object[] all = new Object[values.length + 1];
        all[0] = bdi;
        System.arraycopy(values, 0, all, 1, values.length);
        tracer.emit(tp, ctx, all);
    }

    /** Emits a block_buffer event for the buffer of filesystem block {@code blocknr} (size one block). */
    void buffer(Tracepoint tp, TraceContext ctx, long blocknr) {
        if (!enabled) {
            return;
        }
        tracer.emit(tp, ctx, devT, blocknr, (long) BlockPort.BLOCK_SIZE);
    }

    /**
     * track_foreign_dirty's ids as the 6.18 capture prints them: the disk's bdi is the first registered (id 1), the
     * wb's memcg the root (id 1, cgroup inode 1); ext4sim has no memory cgroups, and takes every dirtied page as
     * charged to the capture's other cgroup.
     */
    static final long BDI_ID = 1;
    static final int WB_MEMCG_ID = 1;
    static final long WB_CGROUP_INO = 1;
    static final long PAGE_CGROUP_INO = 23861;

    /** mem_cgroup_track_foreign_dirty after a file folio of inode {@code ino} was accounted dirty (6.x). */
    void trackForeignDirty(TraceContext ctx, long ino) {
        writeback(TRACK_FOREIGN_DIRTY, ctx, BDI_ID, ino, WB_MEMCG_ID, WB_CGROUP_INO, PAGE_CGROUP_INO);
    }

    static int major(Object devT) {
        return ((Number) devT).intValue() >>> 20;
    }

    static int minor(Object devT) {
        return ((Number) devT).intValue() & 0xFFFFF;
    }

    private static Tracepoint dev(String system, String name, String printk, String... fields) {
        return dev(system, name, printk, UnaryOperator.identity(), fields);
    }

    /** A tracepoint whose first field is dev; {@code fix} rewrites the printed arguments (after MAJOR, MINOR). */
    private static Tracepoint dev(String system, String name, String printk, UnaryOperator<Object[]> fix, String... fields) {
        String[] all = new String[fields.length + 1];
        all[0] = "dev";
        System.arraycopy(fields, 0, all, 1, fields.length);
        return Tracepoint.define(system, name, printk, all).printk(v -> {
            Object[] a = new Object[v.length + 1];
            a[0] = major(v[0]);
            a[1] = minor(v[0]);
            System.arraycopy(v, 1, a, 2, v.length - 1);
            return fix.apply(a);
        });
    }

    /** Replaces printed argument {@code at} (a bit set) by its table names. */
    private static Object[] withFlags(Object[] a, int at, long[] bits, String[] names, String delim) {
        a[at] = Flags.print(((Number) a[at]).longValue(), delim, bits, names);
        return a;
    }

    private static Tracepoint blockBuffer(String name) {
        return dev(BLOCK, name, "%d,%d sector=%llu size=%zu", a -> {
            a[2] = new BigInteger(Long.toUnsignedString(((Number) a[2]).longValue()));
            return a;
        }, "sector", "size");
    }

    private static Tracepoint es(String name) {
        return dev(EXT4, name, ES, a -> withFlags(a, 6, Flags.ES_BITS, Flags.ES_NAMES, ""), "ino", "lblk", "len", "pblk", "status");
    }

    private static Tracepoint writebackInode(String name) {
        return dev(WB, name, "dev %d,%d ino %lu dirtied %lu state %s mode 0%o",
                a -> withFlags(a, 4, Flags.INODE_STATE_BITS, Flags.INODE_STATE_NAMES, "|"), "ino", "dirtied_when", "state", "mode");
    }

    private static Tracepoint dirtyInode(String name) {
        return Tracepoint.define(WB, name, "bdi %s: ino=%lu state=%s flags=%s", "name", "ino", "state", "flags")
                .printk(v -> new Object[]{v[0], v[1],
                    Flags.print(((Number) v[2]).longValue(), "|", Flags.INODE_STATE_BITS, Flags.INODE_STATE_NAMES),
                    Flags.print(((Number) v[3]).longValue(), "|", Flags.INODE_STATE_BITS, Flags.INODE_STATE_NAMES)});
    }
}
