package dev.ext4sim.blockdev.block;

import java.util.ArrayList;
import java.util.List;

/** struct blk_plug: requests a task holds back so that adjacent bios merge, issued together at blk_finish_plug. */
public final class Plug {
    final List<Request> list = new ArrayList<>();

    Request last() {
        return list.isEmpty() ? null : list.getLast();
    }
}
