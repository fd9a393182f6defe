package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.Jiffies;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.WritebackControl;
import dev.ext4sim.ext4.port.WritebackPort;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the flusher sees and asks of ext4: dirty notifications, dirtyInodes, nr_to_write, range_cyclic, throttling. */
class WritebackSideTest {
    @TempDir
    Path dir;

    @Test
    void dirtyListsNrToWriteAndCyclicIndex() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("w", 3);
            int a = f.ext4.create(w, Ext4.ROOT_INO, "a", 0644);
            f.clock.advanceMillis(4000);
            int b = f.ext4.create(w, Ext4.ROOT_INO, "b", 0644);
            f.ext4.write(w, a, 0, new byte[10 * 4096], Ext4Mount.WriteFlags.NONE);
            f.clock.advanceMillis(4000);
            f.writeback.pause = Duration.ofMillis(7);
            Ext4Mount.WriteResult r = f.ext4.write(w, b, 0, new byte[3 * 4096], Ext4Mount.WriteFlags.NONE);
            assertThat(r.pause()).isEqualTo(Duration.ofMillis(7));
            f.ext4.write(w, a, 0, new byte[4096], Ext4Mount.WriteFlags.NONE); // already dirty: no new notification

            // each new dirty bit: file_update_time's I_DIRTY_SYNC (the clock moved since the create), the page, then
            // I_DIRTY_DATASYNC; nothing for the write to an inode already dirty in every way
            assertThat(f.writeback.dirtied).extracting(WritebackPort.InodeDirtied::ino)
                    .containsExactly((long) a, (long) a, (long) a, (long) b, (long) b, (long) b);
            assertThat(f.ext4.dirtyInodes()).containsExactly(
                    new DirtyInode(a, Flags.I_DIRTY, Jiffies.INITIAL_JIFFIES + 250 * 4, 10),
                    new DirtyInode(b, Flags.I_DIRTY, Jiffies.INITIAL_JIFFIES + 250 * 8, 3));
            assertThat(f.writeback.dirtyPages).isEqualTo(13);

            // nr_to_write 4 of a's 10 pages, then the cyclic pass resumes at writeback_index 4
            assertThat(f.ext4.writepages(Ext4Fixture.KWORKER, a, WritebackControl.periodic(4))).isEqualTo(4);
            assertThat(f.ext4.dirtyInodes().getFirst()).isEqualTo(new DirtyInode(a, Flags.I_DIRTY_PAGES, Jiffies.INITIAL_JIFFIES + 1000, 6));
            assertThat(f.events("kworker/u16:2").getLast().text()).endsWith("pages_written 4 pages_skipped 0 sync_mode 0 writeback_index 4");
            assertThat(f.ext4.writepages(Ext4Fixture.KWORKER, a, WritebackControl.periodic(1024))).isEqualTo(6);
            assertThat(f.ext4.dirtyInodes()).extracting(DirtyInode::ino).containsExactly((long) b);
            assertThat(f.writeback.dirtyPages).isEqualTo(3);
            assertThat(f.writeback.counts).as("a's ten pages went through writeback and were written")
                    .isEqualTo(new WritebackPort.PageCounts(3, 0, 13, 10));

            // clean again, so the next write dirties it anew
            f.ext4.write(w, a, 0, new byte[1], Ext4Mount.WriteFlags.NONE);
            assertThat(f.writeback.dirtied).extracting(WritebackPort.InodeDirtied::ino)
                    .containsExactly((long) a, (long) a, (long) a, (long) b, (long) b, (long) b, (long) a);
            // truncate and unlink drop dirty pages: the flusher's counter follows
            f.ext4.write(w, b, 0, new byte[5 * 4096], Ext4Mount.WriteFlags.NONE);
            assertThat(f.writeback.dirtyPages).isEqualTo(6);
            f.ext4.truncate(w, b, 4096 + 1);
            assertThat(f.writeback.dirtyPages).isEqualTo(3);
            f.ext4.unlink(w, Ext4.ROOT_INO, "b");
            assertThat(f.writeback.dirtyPages).isEqualTo(1);
            assertThat(f.ext4.dirtyPages()).isEqualTo(1);
            assertThat(f.ext4.writepages(Ext4Fixture.KWORKER, b, WritebackControl.periodic(1024))).isZero(); // gone
            f.flushAll();
            assertThat(f.writeback.dirtyPages).isZero();
            // b's pages 3 and 4 were new (0-2 were still dirty); what truncate and unlink dropped was never written
            assertThat(f.writeback.counts).isEqualTo(new WritebackPort.PageCounts(0, 0, 16, 11));
            f.unmountAndCheck();
        }
    }

    @Test
    void theQuotaClaimDirtiesTheInodeUnderISyncAndTheFlusherHearsOfItInTheAnswer() {
        try (Ext4Fixture f = new Ext4Fixture(dir, 32L << 20)) {
            TraceContext w = Ext4Fixture.writer("w", 3);
            int a = f.ext4.create(w, Ext4.ROOT_INO, "a", 0644);
            f.ext4.write(w, a, 0, new byte[2 * 4096], Ext4Mount.WriteFlags.NONE);
            int told = f.writeback.dirtied.size();
            // the first pass takes the bits the write set
            assertThat(f.ext4.writebackSingleInode(Ext4Fixture.KWORKER, a, WritebackControl.periodic(1)))
                    .isEqualTo(new Ext4Mount.WrittenBack(1, Flags.I_DIRTY_INODE));
            // the second finds only I_DIRTY_PAGES: the claim sets I_DIRTY_SYNC, which only the answer carries
            f.sink.clear();
            assertThat(f.ext4.writebackSingleInode(Ext4Fixture.KWORKER, a, WritebackControl.periodic(1)))
                    .isEqualTo(new Ext4Mount.WrittenBack(1, Flags.I_DIRTY_SYNC));
            assertThat(f.events("kworker/u16:2")).filteredOn(e -> e.event().equals("writeback_mark_inode_dirty"))
                    .extracting(dev.ext4sim.bus.trace.TraceEvent::text)
                    .containsExactly("bdi 8:0: ino=" + a + " state=I_DIRTY_PAGES|I_SYNC flags=I_DIRTY_SYNC");
            // an extent is there now: ext4_ext_map_blocks shows it before allocating next to it
            assertThat(f.events("kworker/u16:2")).filteredOn(e -> e.event().equals("ext4_ext_show_extent"))
                    .extracting(dev.ext4sim.bus.trace.TraceEvent::text).singleElement().asString()
                    .startsWith("dev 8,1 ino " + a + " lblk 0 pblk ").endsWith(" len 1");
            assertThat(f.writeback.dirtied).hasSize(told);
            assertThat(f.ext4.dirtyInodes()).isEmpty();
            f.unmountAndCheck();
        }
    }
}
