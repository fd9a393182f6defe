package dev.ext4sim.jbd2.journal;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ondisk.ext4.Extent;
import java.util.List;
import java.util.Objects;

/**
 * {@code jbd2_journal_bmap} for a journal in inode 8: bmap > ext4_bmap > generic_block_bmap > ext4_get_block >
 * ext4_map_blocks(handle NULL, inode 8, m_len 1, flags 0). ext4 answers from the inode's extent status tree when it
 * can (ext4_es_lookup_extent_enter/_exit, found 1); on a miss ext4_ext_map_blocks finds the block in the inode's
 * extents (ext4_ext_map_blocks_enter with no flags, ext4_ext_show_extent, ext4_ext_map_blocks_exit with mflags M,
 * ret 1) and ext4_es_insert_extent caches it (status W). Nothing else in 4.19 traces here: the extents sit in the
 * inode's i_block (no extent block is read) and check_block_validity skips the journal inode.
 *
 * <p>The tree starts as the journal load left it: jbd2_journal_init_inode mapped block 0, and a recovery pass mapped
 * every log block it read, in the mount task, so those lookups are not traced here. In the 6.x profile the load's
 * first lookup also cached every extent of the inode (5.7+'s ext4_find_extent calls ext4_cache_extents on an inode
 * whose extents sit in i_block), so each log block is a hit, {@code found 1} with the whole extent, and the load's
 * own lookups have marked it referenced: {@code WR}.
 */
public final class JournalBmap {
    /** EXT4_JOURNAL_INO. */
    static final long JOURNAL_INO = 8;

    private final Ext4MapTrace trace;
    private final List<Extent> extents;
    private final JournalExtentStatus es = new JournalExtentStatus();

    private JournalBmap(Ext4MapTrace trace, List<Extent> extents) {
        this.trace = Objects.requireNonNull(trace);
        this.extents = List.copyOf(extents);
    }

    /**
     * The mapping after a journal load: block 0 mapped by jbd2_journal_init_inode, then each journal block in
     * {@code loadReads} (device blocks the load read, in order: a recovery or skip pass reads the log through
     * jbd2_journal_bmap; other blocks, and block 0 read again through j_sb_buffer, are ignored).
     *
     * @param extents the journal inode's extents
     * @param devT    the filesystem's dev_t, printed as the ext4 events' dev
     */
    public static JournalBmap afterLoad(Tracer tracer, int devT, List<Extent> extents, List<Long> loadReads) {
        JournalBmap b = new JournalBmap(new Ext4MapTrace(tracer, devT), extents);
        if (b.trace.v6()) {
            b.ext4_cache_extents();
        }
        b.ext4MapBlocks(null, 0);
        for (long device : loadReads) {
            long lblk = b.journalBlockOf(device);
            if (lblk > 0) {
                b.ext4MapBlocks(null, lblk);
            }
        }
        return b;
    }

    /** jbd2_journal_bmap: the device block of journal block {@code blocknr}, traced in {@code ctx} (the jbd2 task). */
    long jbd2_journal_bmap(TraceContext ctx, long blocknr) {
        return ext4MapBlocks(Objects.requireNonNull(ctx), blocknr);
    }

    /** The extent status tree, for tests. */
    String extentStatus() {
        return es.toString();
    }

    /** ext4_cache_extents: every written extent of the inode into the status tree, as ext4_es_cache_extent does. */
    private void ext4_cache_extents() {
        for (Extent e : extents) {
            if (!e.unwritten()) {
                es.insertWritten(e.lblk(), e.len(), e.pblk());
            }
        }
    }

    /** ext4_map_blocks(NULL, inode 8, {lblk, 1}, 0); untraced when {@code ctx} is null (the load, in the mount task). */
    private long ext4MapBlocks(TraceContext ctx, long lblk) {
        if (ctx != null) {
            trace.emit(Ext4MapTrace.ES_LOOKUP_EXTENT_ENTER, ctx, JOURNAL_INO, lblk);
        }
        JournalExtentStatus.Found found = es.lookup(lblk);
        if (found != null) {
            if (ctx != null) {
                trace.emit(trace.esLookupExtentExit(), ctx, JOURNAL_INO, found.lblk(), found.len(), found.pblk(),
                        found.status(), 1);
            }
            return found.map(lblk);
        }
        if (ctx != null) {
            trace.emit(trace.esLookupExtentExit(), ctx, JOURNAL_INO, 0L, 0L, 0L, 0, 0);
        }
        long pblk = ext4ExtMapBlocks(ctx, lblk);
        es.insertWritten(lblk, 1, pblk);
        if (ctx != null) {
            trace.emit(Ext4MapTrace.ES_INSERT_EXTENT, ctx, JOURNAL_INO, lblk, 1L, pblk, Ext4MapTrace.ES_WRITTEN);
        }
        return pblk;
    }

    /** ext4_ext_map_blocks without CREATE: the initialized extent holding {@code lblk}, one block of it. */
    private long ext4ExtMapBlocks(TraceContext ctx, long lblk) {
        if (ctx != null) {
            trace.emit(Ext4MapTrace.EXT_MAP_BLOCKS_ENTER, ctx, JOURNAL_INO, lblk, 1, 0);
        }
        Extent ex = extentOf(lblk);
        long pblk = ex.map(lblk);
        if (ctx != null) {
            trace.emit(Ext4MapTrace.EXT_SHOW_EXTENT, ctx, JOURNAL_INO, ex.pblk(), ex.lblk(), ex.len());
            trace.emit(Ext4MapTrace.EXT_MAP_BLOCKS_EXIT, ctx, JOURNAL_INO, 0, pblk, lblk, 1L, Ext4MapTrace.MAP_MAPPED, 1);
        }
        return pblk;
    }

    private Extent extentOf(long lblk) {
        for (Extent e : extents) {
            if (e.contains(lblk) && !e.unwritten()) {
                return e;
            }
        }
        throw new IllegalStateException("journal block " + lblk + " is not mapped by inode 8's extents " + extents);
    }

    /** The journal block stored at device block {@code device}, or -1 outside the journal. */
    private long journalBlockOf(long device) {
        for (Extent e : extents) {
            if (device >= e.pblk() && device < e.pblk() + e.len()) {
                return e.lblk() + (device - e.pblk());
            }
        }
        return -1;
    }
}
