package dev.ext4sim.blockdev.block;

import java.util.ArrayList;
import java.util.List;

/** struct blk_plug: requests a task holds back so that adjacent bios merge, issued together at blk_finish_plug. */
public final class Plug {
    /** 6.x block/blk.h: blk_add_rq_to_plug flushes a plug that holds this many requests (one queue)... */
    static final int BLK_MAX_REQUEST_COUNT = 32;
    /** ...or whose last request has grown to this many bytes, before it adds another. */
    static final int BLK_PLUG_FLUSH_SIZE = 128 * 1024;

    final List<Request> list = new ArrayList<>();

    Request last() {
        return list.isEmpty() ? null : list.getLast();
    }

    /** 6.x's blk_add_rq_to_plug test for flushing the plug before a new request joins it. */
    boolean full() {
        return list.size() >= BLK_MAX_REQUEST_COUNT || (!list.isEmpty() && last().bytes >= BLK_PLUG_FLUSH_SIZE);
    }
}
