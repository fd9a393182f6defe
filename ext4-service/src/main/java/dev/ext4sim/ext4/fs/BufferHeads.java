package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.TraceContext;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The buffer heads of fs/buffer.c as ext4's call paths meet them, for their two tracepoints (4.19 and 6.x alike); the
 * bytes stay in {@link BufferCache} and the page cache. touch_buffer (block_touch_buffer) runs only where
 * __find_get_block finds the buffer in the current cpu's bh LRU (bh_lrus); a miss finds the buffer in the block
 * device's page cache or creates it (__getblk_slow), installs it at the head of that cpu's LRU and traces nothing.
 * So a cpu's first getblk of a block is silent, a read if the block was not cached, and the ones after it are
 * touches until BH_LRU_SIZE other buffers have pushed it out. Under the filesystem lock, as every caller is.
 */
final class BufferHeads {
    static final int BH_LRU_SIZE = 16;
    /**
     * b_blocknr of a delayed buffer: ext4_da_map_blocks (4.19; ext4_da_get_block_prep in 6.x) maps it to
     * ~0xffff, which lies past the end of any filesystem ext4 mounts, so it never needs the ~0 fallback.
     */
    static final long INVALID_BLOCK = ~0xffffL;

    private final Ext4Trace trace;
    /** Per cpu, the blocks of the buffers in its LRU, most recently used first. */
    private final Map<Integer, ArrayDeque<Long>> lrus = new HashMap<>();

    BufferHeads(Ext4Trace trace) {
        this.trace = trace;
    }

    /** __getblk's __find_get_block (sb_getblk, sb_bread, ext4_getblk): the buffer of {@code block}, on ctx's cpu. */
    void getblk(TraceContext ctx, long block) {
        int cpu = trace.cpu(ctx);
        if (lookupBhLru(cpu, block)) {
            trace.buffer(Ext4Trace.BLOCK_TOUCH_BUFFER, ctx, block);
        } else {
            bhLruInstall(cpu, block);
        }
    }

    /** mark_buffer_dirty traces before it looks at the buffer's state: a buffer dirty already is traced again. */
    void markBufferDirty(TraceContext ctx, long blocknr) {
        trace.buffer(Ext4Trace.BLOCK_DIRTY_BUFFER, ctx, blocknr);
    }

    /** A hit moves to the head, as lookup_bh_lru does. */
    private boolean lookupBhLru(int cpu, long block) {
        ArrayDeque<Long> lru = lrus.get(cpu);
        if (lru == null || !lru.remove(block)) {
            return false;
        }
        lru.addFirst(block);
        return true;
    }

    private void bhLruInstall(int cpu, long block) {
        ArrayDeque<Long> lru = lrus.computeIfAbsent(cpu, c -> new ArrayDeque<>(BH_LRU_SIZE + 1));
        lru.addFirst(block);
        if (lru.size() > BH_LRU_SIZE) {
            lru.removeLast();
        }
    }
}
