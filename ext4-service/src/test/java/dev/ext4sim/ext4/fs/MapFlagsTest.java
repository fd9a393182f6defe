package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.KernelProfile;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ext4_map_blocks' flags as each 4.19 caller passes them, in the flags text of ext4_ext_map_blocks_enter (and of
 * ext4_ext_handle_unwritten_extents) as 4.19's show_map_flags prints it: docs/fidelity.md's table, path by path.
 */
class MapFlagsTest {
    static final String W = "w";
    static final Ext4Mount.WriteFlags DIRECT = new Ext4Mount.WriteFlags(false, false, false, true);

    @TempDir
    Path dir;

    /** The flags field of each event {@code name} of task {@code comm} from {@code mark} on, in order. */
    private static List<String> flags(Ext4Fixture f, String comm, int mark, String name) {
        return f.sink.events().subList(mark, f.sink.events().size()).stream()
                .filter(e -> e.comm().equals(comm) && e.event().equals(name))
                .map(TraceEvent::text)
                .map(t -> {
                    int at = t.indexOf(" flags ") + " flags ".length();
                    int end = t.indexOf(' ', at);
                    return end < 0 ? t.substring(at) : t.substring(at, end);
                })
                .toList();
    }

    private static List<String> enters(Ext4Fixture f, String comm, int mark) {
        return flags(f, comm, mark, "ext4_ext_map_blocks_enter");
    }

    private static byte[] filled(int len, char c) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) c);
        return b;
    }

    @Test
    void theFourNineteenTableNamesKeepSizeAndZeroAndPrintsTheRestAsHex() {
        long[] bits = Flags.MAP_FLAG_BITS_4X;
        String[] names = Flags.MAP_FLAG_NAMES_4X;
        assertThat(Flags.print(Flags.GET_BLOCKS_IO_CREATE_EXT, "|", bits, names)).isEqualTo("CREATE|UNWRIT|PRE_IO");
        assertThat(Flags.print(Flags.GET_BLOCKS_IO_CONVERT_EXT, "|", bits, names)).isEqualTo("CREATE|UNWRIT|CONVERT");
        assertThat(Flags.print(Flags.GET_BLOCKS_CREATE_UNWRIT_EXT, "|", bits, names)).isEqualTo("CREATE|UNWRIT");
        assertThat(Flags.print(Writepages.MAP_FLAGS, "|", bits, names)).isEqualTo("CREATE|DELALLOC|METADATA_NOFAIL|0x400");
        assertThat(Flags.print(Flags.GET_BLOCKS_KEEP_SIZE | Flags.GET_BLOCKS_NO_NORMALIZE | Flags.GET_BLOCKS_CREATE_UNWRIT_EXT,
                "|", bits, names)).isEqualTo("CREATE|UNWRIT|NO_NORMALIZE|KEEP_SIZE");
        // 4.19's CONVERT_UNWRITTEN (0x100) has no name; ZERO (0x200) has
        assertThat(Flags.print(0x301, "|", bits, names)).isEqualTo("CREATE|ZERO|0x100");
        // 6.x's table names what 4.19's prints as hex
        assertThat(Flags.print(Writepages.MAP_FLAGS, "|", Flags.MAP_FLAG_BITS, Flags.MAP_FLAG_NAMES))
                .isEqualTo("CREATE|DELALLOC|METADATA_NOFAIL|IO_SUBMIT");
    }

    @Test
    void delallocWriteLooksUpWithNoFlagsAndWritebackAllocatesWithDelallocReserveAndIoSubmit() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20)) {
            TraceContext w = Ext4Fixture.writer(W, 9);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            int mark = f.sink.events().size();
            f.ext4.write(w, ino, 0, filled(4096, 'a'), Ext4Mount.WriteFlags.NONE);
            // ext4_da_map_blocks' lookup: ext4_ext_map_blocks(NULL, inode, map, 0)
            assertThat(enters(f, W, mark)).containsExactly("");
            mark = f.sink.events().size();
            f.flushAll();
            // mpage_map_one_extent: CREATE|METADATA_NOFAIL|IO_SUBMIT|DELALLOC_RESERVE
            String kworker = Ext4Fixture.KWORKER.task().comm();
            assertThat(enters(f, kworker, mark)).containsExactly("CREATE|DELALLOC|METADATA_NOFAIL|0x400");
            assertThat(flags(f, kworker, mark, "ext4_ext_map_blocks_exit")).containsExactly("CREATE|DELALLOC|METADATA_NOFAIL|0x400");
            // a read of the allocated block: ext4_mpage_readpages' ext4_map_blocks(NULL, .., 0), the status tree answers
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void nodelallocWriteBeginLooksUpThenCreates() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20, MountOptions.parse("nodelalloc"))) {
            TraceContext w = Ext4Fixture.writer(W, 9);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            int mark = f.sink.events().size();
            f.ext4.write(w, ino, 0, filled(4096, 'n'), Ext4Mount.WriteFlags.NONE);
            // ext4_map_blocks' lookup pass (flags & KEEP_SIZE), then ext4_get_block's CREATE
            assertThat(enters(f, W, mark)).containsExactly("", "CREATE");
            mark = f.sink.events().size();
            f.flushAll();
            assertThat(enters(f, Ext4Fixture.KWORKER.task().comm(), mark)).isEmpty();
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void directWritesPassCreatePastTheEndAndIoCreateExtInsideThenIoConvertExt() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer(W, 9);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            int mark = f.sink.events().size();
            // ext4_dio_get_block past i_size: CREATE (after ext4_map_blocks' own lookup pass)
            f.ext4.write(w, ino, 0, filled(8192, 'x'), DIRECT);
            assertThat(enters(f, W, mark)).containsExactly("", "CREATE");

            f.ext4.truncate(w, ino, 32768);
            mark = f.sink.events().size();
            // inside i_size: ext4_overwrite_io's lookup (0), ext4_dio_get_block_unwritten_sync's IO_CREATE_EXT, then
            // ext4_convert_unwritten_extents' IO_CONVERT_EXT, which ext4_ext_handle_unwritten_extents ORs NOFAIL into
            f.ext4.write(w, ino, 16384, filled(4096, 'y'), DIRECT);
            assertThat(enters(f, W, mark)).containsExactly("CREATE|UNWRIT|PRE_IO", "CREATE|UNWRIT|CONVERT");
            assertThat(flags(f, W, mark, "ext4_ext_map_blocks_exit")).containsExactly("CREATE|UNWRIT|PRE_IO", "CREATE|UNWRIT|CONVERT");
            assertThat(flags(f, W, mark, "ext4_ext_handle_unwritten_extents")).containsExactly("CREATE|UNWRIT|CONVERT|METADATA_NOFAIL");
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }

    @Test
    void aFullDirectoryGrowsByABlockMappedWithCreate() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20)) {
            TraceContext w = Ext4Fixture.writer(W, 9);
            int d = f.ext4.mkdir(w, Ext4.ROOT_INO, "d", 0755);
            int mark = f.sink.events().size();
            // 208-byte entries: the directory's first block holds 19 of them
            for (int i = 0; i < 20; i++) {
                f.ext4.create(w, d, String.format("%03d", i) + "x".repeat(197), 0644);
            }
            // ext4_add_entry's lookups of block 0 (0), then ext4_append → ext4_bread(.., EXT4_GET_BLOCKS_CREATE)
            List<String> e = enters(f, W, mark);
            assertThat(e).containsOnly("", "CREATE");
            assertThat(e).filteredOn("CREATE"::equals).hasSize(1);
            f.unmountAndCheck();
        }
    }

    @Test
    void theSixProfileKeepsItsOwnTable() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 16L << 20, KernelProfile.V6X)) {
            TraceContext w = Ext4Fixture.writer(W, 9);
            int ino = f.ext4.create(w, Ext4.ROOT_INO, "f", 0644);
            f.ext4.open(w, ino, true);
            f.ext4.write(w, ino, 0, filled(4096, 'a'), Ext4Mount.WriteFlags.NONE);
            int mark = f.sink.events().size();
            f.flushAll();
            assertThat(enters(f, Ext4Fixture.KWORKER.task().comm(), mark)).first().asString().contains("IO_SUBMIT");
            f.ext4.release(w, ino, true);
            f.unmountAndCheck();
        }
    }
}
