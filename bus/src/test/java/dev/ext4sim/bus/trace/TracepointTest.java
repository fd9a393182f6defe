package dev.ext4sim.bus.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TracepointTest {

    @Test
    void jbd2StartCommit() {
        Tracepoint tp = Tracepoint.define("jbd2", "jbd2_start_commit", "dev %d,%d transaction %u sync %u",
                "major", "minor", "transaction", "sync_commit");

        assertThat(tp.format(8, 1, 7, 0)).isEqualTo("dev 8,1 transaction 7 sync 0");
        assertThat(tp.fields()).containsExactly("major", "minor", "transaction", "sync_commit");
        assertThat(tp.fieldMap(8, 1, 7, 0)).containsExactly(
                org.assertj.core.api.Assertions.entry("major", 8),
                org.assertj.core.api.Assertions.entry("minor", 1),
                org.assertj.core.api.Assertions.entry("transaction", 7),
                org.assertj.core.api.Assertions.entry("sync_commit", 0));
    }

    @Test
    void ext4DaWriteBeginOf4x() {
        Tracepoint tp = Tracepoint.define("ext4", "ext4_da_write_begin",
                "dev %d,%d ino %lu pos %lld len %u flags %u", "major", "minor", "ino", "pos", "len", "flags");

        assertThat(tp.format(8, 1, 12L, 0L, 4096, 0)).isEqualTo("dev 8,1 ino 12 pos 0 len 4096 flags 0");
    }

    @Test
    void longUnsignedConversions() {
        Tracepoint tp = Tracepoint.define("ext4", "ext4_da_write_pages",
                "dev %d,%d ino %lu first_page %lu nr_to_write %ld sync_mode %d bytes %llu",
                "major", "minor", "ino", "first_page", "nr_to_write", "sync_mode", "bytes");

        assertThat(tp.format(8, 1, 12L, 0L, 9_223_372_036_854_775_807L, 0, 4_294_967_296L))
                .isEqualTo("dev 8,1 ino 12 first_page 0 nr_to_write 9223372036854775807 sync_mode 0 bytes 4294967296");
    }

    @Test
    void hexConversions() {
        Tracepoint tp = Tracepoint.define("ext4", "hex", "flags %lx state 0x%x big %lX", "flags", "state", "big");

        assertThat(tp.format(0x80000001L, 31, 0xabcL)).isEqualTo("flags 80000001 state 0x1f big ABC");
    }

    @Test
    void stringsWidthsOctalAndPercent() {
        Tracepoint tp = Tracepoint.define("writeback", "mixed", "bdi %s: mode 0%o ratio %3u%% pad [%-5d] [%05lu] %zu",
                "name", "mode", "ratio", "pad", "zero", "size");

        assertThat(tp.format("8:0", 0100644, 50, 7, 42L, 4096L))
                .isEqualTo("bdi 8:0: mode 0100644 ratio  50% pad [7    ] [00042] 4096");
    }

    @Test
    void anEmptyStringKeepsItsSpaces() {
        Tracepoint tp = Tracepoint.define("ext4", "status", "dev %d,%d status %s", "major", "minor", "status");

        assertThat(tp.format(8, 1, "")).isEqualTo("dev 8,1 status ");
    }

    /** The kernel's %pS (ext4_mark_inode_dirty, ext4_journal_start_*) prints a symbol: no stray "S". */
    @Test
    void pointerExtensionsPrintTheGivenSymbol() {
        Tracepoint tp = Tracepoint.define("ext4", "ext4_mark_inode_dirty", "dev %d,%d ino %lu caller %pS",
                "dev_major", "dev_minor", "ino", "ip");

        assertThat(tp.format(8, 1, 12L, "ext4_dirty_inode+0x48/0x70"))
                .isEqualTo("dev 8,1 ino 12 caller ext4_dirty_inode+0x48/0x70");
        assertThat(Tracepoint.javaFormat("%pg-%lu")).isEqualTo("%s-%d");
    }

    @Test
    void javaFormatConversions() {
        assertThat(Tracepoint.javaFormat("%lu %llu %u %d %i %lx 0x%x %s %hhu %5lu"))
                .isEqualTo("%d %d %d %d %d %x 0x%x %s %d %5d");
    }

    @Test
    void wrongValueCountThrows() {
        Tracepoint tp = Tracepoint.define("jbd2", "jbd2_start_commit", "dev %d,%d transaction %u sync %u",
                "major", "minor", "transaction", "sync_commit");

        assertThatThrownBy(() -> tp.format(8, 1, 7))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jbd2_start_commit")
                .hasMessageContaining("4")
                .hasMessageContaining("got 3");
        assertThatThrownBy(() -> tp.format(8, 1, 7, 0, 9)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aValueOfTheWrongTypeThrows() {
        Tracepoint tp = Tracepoint.define("ext4", "e", "ino %lu", "ino");

        assertThatThrownBy(() -> tp.format("twelve")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theFormatterHookDerivesTheArgumentsFromTheFields() {
        Tracepoint tp = Tracepoint.define("block", "block_rq_complete", "%d,%d %s (%s) %llu + %u [%d]",
                        "dev", "sector", "nr_sector", "error", "rwbs", "cmd")
                .printk(v -> new Object[]{((Long) v[0]) >> 20, ((Long) v[0]) & 0xFFFFF, v[4], v[5], v[1], v[2], v[3]});
        long dev = (8L << 20) | 1;
        assertThat(tp.format(dev, 526344L, 8, 0, "WS", "")).isEqualTo("8,1 WS () 526344 + 8 [0]");
        assertThat(tp.fieldMap(dev, 526344L, 8, 0, "WS", "")).containsEntry("dev", dev).containsEntry("rwbs", "WS");
    }
}
