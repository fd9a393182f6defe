package dev.ext4sim.writeback;

import dev.ext4sim.writeback.wb.BdiWriteback;
import dev.ext4sim.writeback.wb.Writeback;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** On the service's own port: the bdis (GET /v1/writeback/bdi) and their dirty lists (GET /v1/writeback/lists). */
@RestController
class WritebackController {
    private final BdiList bdis;
    private final Writeback writeback;

    WritebackController(BdiList bdis, Writeback writeback) {
        this.bdis = bdis;
        this.writeback = writeback;
    }

    @GetMapping("/v1/writeback/bdi")
    List<BdiList.BdiWriteback> bdis() {
        return bdis.list();
    }

    /** Inode numbers per list, head (newest) to tail (oldest), and the queued works, per bdi. */
    @GetMapping("/v1/writeback/lists")
    Map<String, BdiWriteback.Lists> lists() {
        Map<String, BdiWriteback.Lists> out = new LinkedHashMap<>();
        for (BdiWriteback wb : writeback.bdis()) {
            out.put(wb.name(), wb.lists());
        }
        return out;
    }
}
