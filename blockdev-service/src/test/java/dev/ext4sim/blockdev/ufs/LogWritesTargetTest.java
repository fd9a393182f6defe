package dev.ext4sim.blockdev.ufs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ext4sim.blockdev.block.Bio;
import dev.ext4sim.blockdev.block.ReqFlag;
import dev.ext4sim.blockdev.block.ReqOp;
import dev.ext4sim.blockdev.block.Request;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.ondisk.ImageFile;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import dev.ext4sim.ondisk.logwrites.LogWriteEntry;
import dev.ext4sim.ondisk.logwrites.LogWrites;
import dev.ext4sim.ondisk.logwrites.LogWritesReader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device's write log as dm-log-writes keeps it: cached writes enter the log only when a flush makes them durable,
 * FUA writes at once; a power cut loses the unflushed ones from the log as from the disk.
 */
class LogWritesTargetTest {
    static final int BS = 4096;
    final MemoryBlockDevice image = new MemoryBlockDevice(BS, 64);
    final UfsDevice device = new UfsDevice(Profile.named("instant"), new ManualClock(), new WriteCache(image,
            new ManualClock()), new Faults(64 * 8), 1 << 20);

    @TempDir
    Path dir;

    static byte[] filled(int v, int blocks) {
        byte[] b = new byte[blocks * BS];
        Arrays.fill(b, (byte) v);
        return b;
    }

    void write(long block, byte[] data, ReqFlag... flags) {
        Set<ReqFlag> f = flags.length == 0 ? Set.of() : EnumSet.copyOf(List.of(flags));
        device.execute(Request.of(new Bio(ReqOp.WRITE, f, block * 8, data.length, data)));
    }

    void flush() {
        device.execute(Request.flush());
    }

    @Test
    void cachedWritesEnterTheLogAtTheFlushThatMakesThemDurableAndFuaWritesAtOnce() {
        write(1, filled(1, 1)); // cached before the log: written back into the base by the start
        LogWritesTarget target = new LogWritesTarget(LogWrites.create(dir.resolve("log"), BS));
        boolean[] snapshotSawItOnTheImage = {false};
        device.startLogWrites(target, () -> {
            byte[] b = new byte[BS];
            image.read(1, b);
            snapshotSawItOnTheImage[0] = b[0] == 1;
        });
        assertThat(snapshotSawItOnTheImage[0]).isTrue();

        write(2, filled(2, 2));
        write(10, filled(3, 1), ReqFlag.FUA);
        target.mark("op 0");
        flush();
        write(5, filled(4, 1)); // never flushed: spliced in at the stop, after the last flush
        LogWritesTarget.Stats stats = device.stopLogWrites().orElseThrow();

        assertThat(stats.flushes()).isEqualTo(1);
        assertThat(stats.fuas()).isEqualTo(1);
        try (LogWritesReader r = LogWritesReader.open(dir.resolve("log"))) {
            List<LogWriteEntry> e = r.list();
            assertThat(e).extracting(x -> x.isMark() ? "M:" + x.mark() : (x.fua() ? "FUA:" : x.flush() ? "FLUSH:" : "W:")
                    + x.sector() + "+" + x.nrSectors())
                    .containsExactly("FUA:10+1", "M:op 0", "W:2+2", "FLUSH:0+0", "W:5+1", "M:dm-log-writes-end");
            assertThat(r.entries()).isEqualTo(6);
            byte[] b = new byte[BS];
            r.data(e.get(2), 1, b);
            assertThat(b[BS - 1]).isEqualTo((byte) 2);
        }
        assertThat(device.logWrites()).isEmpty();
    }

    @Test
    void aSecondLogIsRefusedWhileOneRunsAndStoppingWithoutOneSaysSo() {
        device.startLogWrites(new LogWritesTarget(LogWrites.create(dir.resolve("a"), BS)), () -> { });
        assertThatThrownBy(() -> device.startLogWrites(new LogWritesTarget(LogWrites.create(dir.resolve("b"), BS)),
                () -> { })).isInstanceOf(ErrnoException.class).hasMessageContaining("already");
        assertThat(device.stopLogWrites()).isPresent();
        assertThat(device.stopLogWrites()).isEmpty();
    }

    @Test
    void replayingTheLogToItsLastFlushGivesTheDiskAPowerCutThereLeaves() throws Exception {
        device.startLogWrites(new LogWritesTarget(LogWrites.create(dir.resolve("log"), BS)), () -> { });
        write(3, filled(7, 1));
        flush();
        write(3, filled(8, 1)); // lost with the cache
        write(4, filled(9, 1), ReqFlag.FUA);
        device.powerCut();
        // the process would be gone: what reached the log file is what the replay has
        Path replay = dir.resolve("replay.img");
        try (ImageFile disk = ImageFile.create(replay, 64L * BS, BS);
             LogWritesReader r = LogWritesReader.open(dir.resolve("log"))) {
            byte[] b = new byte[BS];
            for (LogWriteEntry e : r.list()) {
                for (long i = 0; i < e.nrSectors(); i++) {
                    r.data(e, i, b);
                    disk.write(e.sector() + i, b);
                }
            }
            disk.read(3, b);
            assertThat(b[0]).isEqualTo((byte) 7);
            disk.read(4, b);
            assertThat(b[0]).isEqualTo((byte) 9);
        }
        // and the device's own media agrees
        byte[] m = new byte[BS];
        image.read(3, m);
        assertThat(m[0]).isEqualTo((byte) 7);
    }
}
