package dev.ext4sim.writeback;

import dev.ext4sim.bus.block.BlockIo;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * bdi_list: the backing devices this writeback service knows, one root bdi_writeback each (mm/backing-dev.c). A
 * device announcement (blockdev's probe) registers its bdi; the same announcement again (a restarted blockdev)
 * replaces it. This is the announcement as received, for GET /v1/writeback/bdi; the wb itself, its lists and its
 * flusher live in the {@link dev.ext4sim.writeback.wb.Writeback} core.
 */
public final class BdiList {
    /** struct bdi_writeback of a bdi: the device it writes back to and its delayed work. */
    public record BdiWriteback(String bdi, String disk, int major, int minor, long capacitySectors,
                               List<BlockIo.Partition> partitions, String dwork) {
    }

    private final Map<String, BdiWriteback> bdis = new ConcurrentSkipListMap<>();

    /** bdi_register + wb_init: INIT_DELAYED_WORK(&wb->dwork, wb_workfn). */
    public BdiWriteback register(BlockIo.DeviceAdded d) {
        BdiWriteback wb = new BdiWriteback(d.bdi(), d.disk(), d.major(), d.minor(), d.capacitySectors(), d.partitions(),
                "wb_workfn");
        bdis.put(d.bdi(), wb);
        return wb;
    }

    public List<BdiWriteback> list() {
        return List.copyOf(bdis.values());
    }
}
