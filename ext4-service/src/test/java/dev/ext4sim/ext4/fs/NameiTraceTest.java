package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The directory mapping of namei.c as 4.x traces it: ext4_find_entry's batched ext4_bread from i_dir_start_lookup,
 * ext4_add_entry's block reads and ext4_append, and the dentries that spare a later walk any ext4_lookup.
 */
class NameiTraceTest {
    /** A name of 255 bytes takes a 264-byte record: 15 fill a block. */
    private static String longName(int i) {
        return String.format("%03d", i) + "x".repeat(252);
    }

    @TempDir
    Path dir;

    private static List<String> texts(List<TraceEvent> events, String name) {
        return events.stream().filter(e -> e.event().equals(name)).map(TraceEvent::text).toList();
    }

    /** Creates files in {@code d} until it holds {@code blocks} blocks; returns their names in creation order. */
    private static List<String> fill(Ext4Fixture f, TraceContext w, int d, int blocks) {
        List<String> names = new ArrayList<>();
        while (f.ext4.getattr(w, d).size() < (long) blocks * 4096 || names.isEmpty()) {
            String name = longName(names.size());
            f.ext4.create(w, d, name, 0644);
            names.add(name);
        }
        return names;
    }

    @Test
    void aFullDirectoryGrowsByABlockMappedWithCreate() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("w", 5);
            int d = f.ext4.mkdir(w, Ext4.ROOT_INO, "d", 0755);
            List<String> names = new ArrayList<>();
            List<TraceEvent> grew = null;
            while (grew == null) {
                f.sink.clear();
                String name = longName(names.size());
                f.ext4.create(w, d, name, 0644);
                names.add(name);
                if (f.ext4.getattr(w, d).size() > 4096) {
                    grew = f.events("w");
                }
            }
            assertThat(names).hasSize(16);
            List<String> ev = grew.stream().map(TraceEvent::event).toList();
            assertThat(ev).containsSubsequence("ext4_allocate_inode",
                    "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit", // block 0: full
                    "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit", // ext4_append: block 1, a miss
                    "ext4_ext_map_blocks_enter", "ext4_ext_show_extent", "ext4_es_find_delayed_extent_range_enter",
                    "ext4_es_find_delayed_extent_range_exit", "ext4_es_insert_extent", "ext4_ext_map_blocks_exit",
                    "ext4_ext_map_blocks_enter", "ext4_ext_show_extent", "ext4_request_blocks", "ext4_allocate_blocks",
                    "ext4_mark_inode_dirty", "ext4_ext_map_blocks_exit", "ext4_es_insert_extent",
                    "ext4_mark_inode_dirty", "ext4_mark_inode_dirty");
            assertThat(ev).doesNotContain("ext4_get_reserved_cluster_alloc", "ext4_da_update_reserve_space");
            assertThat(texts(grew, "ext4_es_lookup_extent_enter")).containsExactly("dev 8,1 ino " + d + " lblk 0",
                    "dev 8,1 ino " + d + " lblk 1");
            assertThat(texts(grew, "ext4_ext_map_blocks_enter")).containsExactly("dev 8,1 ino " + d + " lblk 1 len 1 flags ",
                    "dev 8,1 ino " + d + " lblk 1 len 1 flags CREATE");
            // no HINT_DATA: a directory gets no in-core preallocation
            assertThat(texts(grew, "ext4_request_blocks").getFirst()).startsWith("dev 8,1 ino " + d + " flags  len 1 lblk 1 ");
            assertThat(texts(grew, "ext4_mark_inode_dirty")).containsSubsequence(
                    "dev 8,1 ino " + d + " caller __ext4_ext_dirty+0x5c/0x70",
                    "dev 8,1 ino " + d + " caller add_dirent_to_buf+0x1a0/0x2a0");
            f.unmountAndCheck();
        }
        assertThat(E2fsprogs.debugfs(dir.resolve("sda1.img"), "ls -l /d").stdout()).asString().contains(longName(15));
    }

    @Test
    void findEntryMapsBlocksInBatchesFromWhereTheLastLookupFoundItsName() {
        Path image;
        List<String> names;
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            image = f.image;
            TraceContext w = Ext4Fixture.writer("w", 5);
            int d = f.ext4.mkdir(w, Ext4.ROOT_INO, "d", 0755);
            names = fill(f, w, d, 3);
            f.unmountAndCheck();
        }
        try (Ext4Fixture f = new Ext4Fixture(image)) {
            TraceContext w = Ext4Fixture.writer("w", 6);
            int d = f.ext4.lookup(w, Ext4.ROOT_INO, "d");
            f.sink.clear();
            // a miss reads every block: the one batch maps all three (status misses) before the first is searched
            assertThatThrownBy(() -> f.ext4.lookup(w, d, "missing")).isInstanceOf(ErrnoException.class)
                    .extracting(e -> ((ErrnoException) e).errno()).isEqualTo(Errno.ENOENT);
            List<TraceEvent> miss = f.events("w");
            assertThat(texts(miss, "ext4_es_lookup_extent_enter")).containsExactly("dev 8,1 ino " + d + " lblk 0",
                    "dev 8,1 ino " + d + " lblk 1", "dev 8,1 ino " + d + " lblk 2");
            assertThat(texts(miss, "ext4_ext_map_blocks_exit")).hasSize(3).allMatch(t -> t.endsWith(" len 1 mflags M ret 1"));
            assertThat(texts(miss, "ext4_es_insert_extent")).hasSize(3).allMatch(t -> t.endsWith(" status W"));
            // the negative dentry answers the next walk
            f.sink.clear();
            assertThatThrownBy(() -> f.ext4.lookup(w, d, "missing")).isInstanceOf(ErrnoException.class);
            assertThat(f.events("w")).isEmpty();

            assertThat(f.ext4.lookup(w, d, names.getLast())).isPositive(); // in block 2: i_dir_start_lookup = 2
            f.sink.clear();
            assertThat(f.ext4.lookup(w, d, names.getFirst())).isPositive(); // in block 0
            // each block's buffer is in this cpu's bh LRU since the miss's batch got it; then ext4_iget's inode table block
            assertThat(f.names("w")).containsExactly("ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
                    "block_touch_buffer", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit", "block_touch_buffer",
                    "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit", "block_touch_buffer", "block_touch_buffer");
            // blocks 2, 0, 1 of the directory's one extent, "found 1 [0/3) <its first block> W"
            long first = Long.parseLong(texts(f.events("w"), "ext4_es_lookup_extent_exit").getFirst().split(" ")[7]);
            List<String> mapped = List.of("8,1 sector=" + (first + 2) + " size=4096", "8,1 sector=" + first + " size=4096",
                    "8,1 sector=" + (first + 1) + " size=4096");
            assertThat(texts(f.events("w"), "ext4_es_lookup_extent_exit")).allMatch(t -> t.contains(" found 1 [0/3) " + first + " "));
            assertThat(texts(f.events("w"), "block_touch_buffer").subList(0, 3)).containsExactlyElementsOf(mapped);
            assertThat(texts(f.events("w"), "ext4_es_lookup_extent_enter")).containsExactly("dev 8,1 ino " + d + " lblk 2",
                    "dev 8,1 ino " + d + " lblk 0", "dev 8,1 ino " + d + " lblk 1");
        }
    }
}
