package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracer;
import org.junit.jupiter.api.Test;

/** The flag tables and a few formats whose text is easy to get wrong (tracepoints.md §4, §5). */
class Ext4TraceTest {
    private final RecordingTraceSink sink = new RecordingTraceSink();
    private final Ext4Trace trace = new Ext4Trace(new Tracer("ext4-service", new ManualClock().traceClock(), sink, 2),
            Ext4Trace.devT(8, 1), "8:0");
    private final TraceContext ctx = TraceContext.of(new Task("demo", 1234));

    private String last() {
        return sink.events().getLast().text();
    }

    @Test
    void printFlagsFollowsTableOrderAndAppendsLeftoverBits() {
        assertThat(Flags.print(0, "|", Flags.MAP_FLAG_BITS, Flags.MAP_FLAG_NAMES)).isEmpty();
        assertThat(Flags.print(0x80000001L, "|", Flags.MAP_FLAG_BITS, Flags.MAP_FLAG_NAMES)).isEqualTo("CREATE|0x80000000");
        assertThat(Flags.print(0x25, "|", Flags.MAP_FLAG_BITS, Flags.MAP_FLAG_NAMES)).isEqualTo("CREATE|DELALLOC|METADATA_NOFAIL");
        assertThat(Flags.print(Flags.MAP_NEW | Flags.MAP_MAPPED, "", Flags.MFLAG_BITS, Flags.MFLAG_NAMES)).isEqualTo("NM");
        assertThat(Flags.print(0x200, "", Flags.MFLAG_BITS, Flags.MFLAG_NAMES)).isEqualTo("0x200");
        assertThat(Flags.print(Flags.I_DIRTY, "|", Flags.INODE_STATE_BITS, Flags.INODE_STATE_NAMES))
                .isEqualTo("I_DIRTY_SYNC|I_DIRTY_DATASYNC|I_DIRTY_PAGES");
        assertThat(Flags.print(Flags.ES_WRITTEN | 0x10, "", Flags.ES_BITS, Flags.ES_NAMES)).isEqualTo("WR");
    }

    @Test
    void offEmitsNothing() {
        Ext4Trace off = new Ext4Trace(new Tracer("ext4-service", new ManualClock().traceClock(), sink, 2), Ext4Trace.devT(8, 1), "8:0", false);
        off.ext4(Ext4Trace.SYNC_FS, ctx, 1);
        off.writeback(Ext4Trace.WB_DIRTY_PAGE, ctx, 12L, 0L);
        assertThat(sink.events()).isEmpty();
    }

    @Test
    void formatsWithOddSpacing() {
        trace.ext4(Ext4Trace.JOURNAL_START, ctx, "ext4_dirty_inode+0x48/0x70", 2, 0);
        assertThat(last()).isEqualTo("dev 8,1 blocks, 2 rsv_blocks, 0 caller ext4_dirty_inode+0x48/0x70");
        assertThat(sink.events().getLast().fields()).containsKeys("dev", "ip", "blocks", "rsv_blocks");
        trace.ext4(Ext4Trace.SYNC_FILE_ENTER, ctx, 12L, 2L, 1);
        assertThat(last()).isEqualTo("dev 8,1 ino 12 parent 2 datasync 1 ");
        trace.ext4(Ext4Trace.ES_LOOKUP_EXTENT_EXIT, ctx, 12L, 5L, 3L, 1000L, Flags.ES_WRITTEN, 1);
        assertThat(last()).isEqualTo("dev 8,1 ino 12 found 1 [5/3) 1000 W");
        trace.ext4(Ext4Trace.ES_LOOKUP_EXTENT_EXIT, ctx, 12L, 5L, 3L, 1000L, Flags.ES_WRITTEN, 0);
        assertThat(last()).isEqualTo("dev 8,1 ino 12 found 0 [5/3) 0 ");
        trace.ext4(Ext4Trace.EXT_MAP_BLOCKS_EXIT, ctx, 12L, 0x25, 9000L, 7L, 2L, Flags.MAP_NEW | Flags.MAP_MAPPED, 2);
        assertThat(last()).isEqualTo("dev 8,1 ino 12 flags CREATE|DELALLOC|METADATA_NOFAIL lblk 7 pblk 9000 len 2 mflags NM ret 2");
        trace.ext4(Ext4Trace.MBALLOC_ALLOC, ctx, 12L, 0L, 100, 1, 4, 0L, 100, 1, 4, 0L, 120, 1, 4, 1, 1, 3, 0x20, 0, 1);
        assertThat(last()).isEqualTo("dev 8,1 inode 12 orig 1/100/4@0 goal 1/100/4@0 result 1/120/4@0 blks 1 grps 1 cr 1 "
                + "flags HINT_DATA tail 0 broken 8");
        trace.writeback(Ext4Trace.WB_DIRTY_INODE_START, ctx, 12L, 0, Flags.I_DIRTY_SYNC);
        assertThat(last()).isEqualTo("bdi 8:0: ino=12 state= flags=I_DIRTY_SYNC");
        assertThat(sink.events().getLast().system()).isEqualTo("writeback");
        assertThat(sink.events().getLast().comm()).isEqualTo("demo");
    }
}
