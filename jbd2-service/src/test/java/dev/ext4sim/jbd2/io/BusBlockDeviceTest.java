package dev.ext4sim.jbd2.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.jbd2.testing.JournalFixture;
import dev.ext4sim.jbd2.testing.MemoryBlockIoPort;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import dev.ext4sim.ondisk.ext4.Mkfs;
import dev.ext4sim.ondisk.ext4.MkfsOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

class BusBlockDeviceTest {
    private final MemoryBlockDevice disk = new MemoryBlockDevice(4096, 16384);
    private final MemoryBlockIoPort port = new MemoryBlockIoPort(disk);

    BusBlockDeviceTest() {
        Mkfs.format(disk, MkfsOptions.defaults().withSize(16384L * 4096));
    }

    private List<BlockIo.Bio> bios() {
        return port.submits().stream().flatMap(s -> s.bios().stream()).toList();
    }

    @Test
    void opensWithTheGeometryOfTheSuperblock() {
        BusBlockDevice dev = BusBlockDevice.open(port, "sda1");
        assertThat(dev.blockSize()).isEqualTo(4096);
        assertThat(dev.blocks()).isEqualTo(16384);
    }

    @Test
    void unbatchedCallsAreOneBioEach() {
        BusBlockDevice dev = BusBlockDevice.open(port, "sda1");
        port.clear();
        dev.write(100, JournalFixture.block(7));
        dev.flush();
        assertThat(dev.read(100)).isEqualTo(JournalFixture.block(7));
        assertThat(bios()).containsExactly(BlockIo.Bio.write(800, 4096, BlockIo.SYNC, BlockIo.META), BlockIo.Bio.flush(),
                BlockIo.Bio.read(800, 4096, BlockIo.SYNC, BlockIo.META));
    }

    @Test
    void writesFlushWriteFlushBecomesPreflushFuaOnTheLastWrite() {
        BusBlockDevice dev = BusBlockDevice.open(port, "sda1");
        port.clear();
        dev.batch(() -> {
            dev.write(10, JournalFixture.block(1));
            dev.write(11, JournalFixture.block(2));
            dev.flush();
            dev.write(12, JournalFixture.block(3));
            dev.flush();
            assertThat(port.submits()).isEmpty(); // gathered under one plug
            assertThat(dev.read(11)).isEqualTo(JournalFixture.block(2)); // reads see the gathered writes
        });
        assertThat(port.submits()).hasSize(1);
        assertThat(bios()).extracting(BlockIo.Bio::flags).containsExactly(List.of(BlockIo.SYNC, BlockIo.META),
                List.of(BlockIo.SYNC, BlockIo.META), List.of(BlockIo.SYNC, BlockIo.META, BlockIo.PREFLUSH, BlockIo.FUA));
        assertThat(disk.read(12)).isEqualTo(JournalFixture.block(3));
    }

    @Test
    void aTrailingFlushThatNoWriteAbsorbsGoesOutBare() {
        BusBlockDevice dev = BusBlockDevice.open(port, "sda1");
        port.clear();
        dev.batch(() -> {
            dev.write(10, JournalFixture.block(1));
            dev.write(11, JournalFixture.block(1));
            dev.flush();
        });
        assertThat(bios()).hasSize(3);
        assertThat(bios().getLast()).isEqualTo(BlockIo.Bio.flush());
    }

    @Test
    void readsInsideABatchReadAheadAndSeeTheBatchsWritesFirst() {
        BusBlockDevice dev = BusBlockDevice.open(port, "sda1");
        disk.write(201, JournalFixture.block(9));
        port.clear();
        dev.batch(() -> {
            assertThat(dev.read(200)).isEqualTo(new byte[4096]);
            assertThat(dev.read(201)).isEqualTo(JournalFixture.block(9));
            dev.write(202, JournalFixture.block(5));
            assertThat(dev.read(202)).isEqualTo(JournalFixture.block(5));
            assertThat(dev.read(231)).isEqualTo(new byte[4096]);
            assertThat(port.submits()).hasSize(1); // one 128 KiB read served all four
            dev.read(232);
        });
        assertThat(bios()).containsExactly(BlockIo.Bio.read(1600, 32 * 4096, BlockIo.SYNC, BlockIo.META),
                BlockIo.Bio.read(1856, 32 * 4096, BlockIo.SYNC, BlockIo.META), BlockIo.Bio.write(1616, 4096, BlockIo.SYNC, BlockIo.META));
        port.clear();
        disk.write(201, JournalFixture.block(3));
        assertThat(dev.read(201)).as("nothing cached after the batch").isEqualTo(JournalFixture.block(3));
        assertThat(port.submits()).hasSize(1);
    }
}
