package dev.ext4sim.ondisk.ext4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.ondisk.Be;
import dev.ext4sim.ondisk.E2fsprogs;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the JBD2 side reads from the filesystem: geometry, UUID, the journal's block map, needs_recovery. */
class JournalAccessTest {
    @TempDir
    Path dir;

    @Test
    void exposesTheJournalAsMke2fsLaysItOut() {
        Path img = dir.resolve("j.img");
        UUID uuid = UUID.fromString("0a0b0c0d-1111-2222-3333-444455556666");
        Mkfs.format(img, MkfsOptions.defaults().withUuid(uuid).withTimestamp(1_700_000_000L));
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            assertThat(fs.blockSize()).isEqualTo(4096);
            assertThat(fs.uuid()).isEqualTo(Mkfs.bytes(uuid));
            assertThat(fs.is64bit()).isTrue();
            assertThat(fs.hasMetadataCsum()).isTrue();
            assertThat(fs.journalInum()).isEqualTo(8);
            assertThat(fs.journalBlocks()).isEqualTo(8192);
            // Middle group (4 of 8), after its bitmaps and inode table: 131072 + 2 + 512.
            assertThat(fs.bmap(8, 0)).isEqualTo(131586);
            assertThat(fs.bmap(8, 8191)).isEqualTo(131586 + 8191);
            assertThat(fs.bmap(8, 8192)).isEqualTo(-1);
            byte[] jsb = fs.device().read(fs.bmap(8, 0));
            assertThat(Be.u32(jsb, 0)).isEqualTo(0xC03B3998L);
            assertThat(Be.u32(jsb, 4)).isEqualTo(4);
            assertThat(Be.u32(jsb, 0x10)).isEqualTo(8192);
            assertThat(java.util.Arrays.copyOfRange(jsb, 0x30, 0x40)).isEqualTo(fs.uuid());
            // s_jnl_blocks mirrors i_block and the size.
            byte[] iblock = fs.inodes().read(8).i_block();
            for (int i = 0; i < 15; i++) {
                assertThat(fs.superBlock().s_jnl_blocks(i)).isEqualTo(dev.ext4sim.ondisk.Le.u32(iblock, 4 * i));
            }
            assertThat(fs.superBlock().s_jnl_blocks(16)).isEqualTo(8192L * 4096);
            assertThat(fs.journalExtents()).containsExactly(new Extent(0, 8192, 131586));
            fs.setNeedsRecovery(true);
        }
        assertThat(MkfsTest.header(img).get("Filesystem features")).contains("needs_recovery");
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            assertThat(fs.needsRecovery()).isTrue();
            fs.setNeedsRecovery(false);
        }
        assertThat(MkfsTest.header(img).get("Filesystem features")).doesNotContain("needs_recovery");
        assertThat(E2fsprogs.fsckReadOnly(img).exit()).isZero();
    }

    @Test
    void largeJournalSpansGroupsInSeveralExtents() {
        Path img = dir.resolve("big-journal.img");
        Mkfs.format(img, MkfsOptions.defaults().withSize(2L << 30).withJournalBlocks(65536).withTimestamp(1_700_000_000L));
        try (Ext4Filesystem fs = Ext4Filesystem.open(img)) {
            assertThat(fs.journalBlocks()).isEqualTo(65536);
            long prev = fs.bmap(8, 0);
            for (long l = 1; l < 65536; l++) {
                long p = fs.bmap(8, l);
                assertThat(p).isGreaterThan(prev);
                prev = p;
            }
        }
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(img);
        assertThat(fsck.exit()).as(fsck.output()).isZero();
    }
}
