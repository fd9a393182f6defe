package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed program's writer under ext4sim.kernel=6.x: the event names and texts 6.x gives the journal starts, the
 * hole and delayed extents and the dirtied folio, as this machine's 6.18 capture prints them.
 */
class Kernel6xTraceTest {
    @TempDir
    Path dir;

    private static String text(List<TraceEvent> events, String name, int nth) {
        return events.stream().filter(e -> e.event().equals(name)).skip(nth).findFirst().orElseThrow().text();
    }

    @Test
    void theSeedsWriterNamesItsEventsAs6xDoes() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20, KernelProfile.V6X)) {
            TraceContext demo = Ext4Fixture.writer(SeedTraceTest.DEMO, 1234);
            int ino = f.ext4.create(demo, Ext4.ROOT_INO, "hello", 0644);
            f.ext4.open(demo, ino, true);
            f.ext4.write(demo, ino, 0, SeedTraceTest.HELLO, Ext4Mount.WriteFlags.NONE);

            List<String> names = f.names(SeedTraceTest.DEMO);
            assertThat(names).doesNotContain("ext4_journal_start", "ext4_es_find_delayed_extent_range_enter",
                    "ext4_es_find_delayed_extent_range_exit", "writeback_dirty_page");
            assertThat(names).containsSubsequence("ext4_request_inode", "ext4_journal_start_sb", "ext4_allocate_inode",
                    "ext4_da_write_begin", "ext4_es_find_extent_range_enter", "ext4_es_find_extent_range_exit",
                    "ext4_es_insert_extent", "ext4_da_reserve_space", "ext4_es_insert_delayed_extent", "ext4_da_write_end",
                    "writeback_dirty_folio", "writeback_dirty_inode_start", "ext4_journal_start_inode", "ext4_mark_inode_dirty");
            List<TraceEvent> w = f.events(SeedTraceTest.DEMO);
            // __ext4_new_inode starts its handle for the filesystem; ext4_dirty_inode for the inode
            assertThat(text(w, "ext4_journal_start_sb", 0))
                    .matches("dev 8,1 blocks \\d+, rsv_blocks 0, revoke_creds 8, type 4, caller __ext4_new_inode\\+0x[0-9a-f]+/0x[0-9a-f]+");
            assertThat(w).filteredOn(e -> e.event().equals("ext4_journal_start_inode"))
                    .anyMatch(e -> e.text().matches("dev 8,1 blocks 2, rsv_blocks 0, revoke_creds 8, type 1, ino 12, "
                            + "caller ext4_dirty_inode\\+0x[0-9a-f]+/0x[0-9a-f]+"));
            assertThat(text(w, "ext4_es_find_extent_range_exit", 0)).isEqualTo("dev 8,1 ino 12 es [0/0) mapped 0 status ");
            assertThat(text(w, "ext4_es_insert_extent", 1)).isEqualTo("dev 8,1 ino 12 es [0/4294967295) mapped 0 status H");
            assertThat(text(w, "ext4_es_insert_delayed_extent", 0))
                    .isEqualTo("dev 8,1 ino 12 es [0/1) mapped 0 status D allocated 0 0");
            assertThat(text(w, "writeback_dirty_folio", 0)).isEqualTo("bdi 8:0: ino=12 index=0");
        }
    }
}
