package dev.ext4sim.writeback;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.block.BlockIo;
import java.util.List;
import org.junit.jupiter.api.Test;

class BdiListTest {
    static BlockIo.DeviceAdded sda(long sectors) {
        return new BlockIo.DeviceAdded("sda", 8, 0, sectors, 4096, "8:0", true, true, 31,
                List.of(new BlockIo.Partition("sda1", 8, 1, 0, sectors)), "ufs3.1", 12_345);
    }

    @Test
    void anAnnouncedDeviceGetsOneBdiWritebackWithItsDelayedWork() {
        BdiList bdis = new BdiList();
        BdiList.BdiWriteback wb = bdis.register(sda(2_097_152));
        assertThat(wb.bdi()).isEqualTo("8:0");
        assertThat(wb.dwork()).isEqualTo("wb_workfn");
        assertThat(bdis.list()).containsExactly(wb);
    }

    @Test
    void aRestartedBlockdevAnnouncingAgainReplacesTheEntry() {
        BdiList bdis = new BdiList();
        bdis.register(sda(100));
        bdis.register(sda(200));
        assertThat(bdis.list()).singleElement().extracting(BdiList.BdiWriteback::capacitySectors).isEqualTo(200L);
    }
}
