package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.BlockDevice;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Test-only buffer cache over a device, to run the filesystem API the way data=ordered journaling runs it:
 * writes stay in memory (dirty buffers) until {@link #commit}, which writes the data blocks home first, then
 * journals the metadata blocks as one transaction. Metadata blocks never reach home except by checkpoint or
 * replay, so a crash (dropping the cache) leaves them only in the log. Data blocks are written once, with their
 * transaction: the workloads here never rewrite a data block in a later one.
 */
final class BufferCache implements BlockDevice {
    private final BlockDevice dev;
    private final Map<Long, byte[]> dirty = new TreeMap<>();
    /** Journaled metadata, not yet home: reads must keep seeing it, as the kernel's buffers stay in memory. */
    private final Map<Long, byte[]> journaled = new TreeMap<>();
    private final Set<Long> metadata = new HashSet<>();

    BufferCache(BlockDevice dev) {
        this.dev = dev;
    }

    /** For {@code Ext4Filesystem.setMetadataListener}: the block just written is metadata. */
    void markMetadata(long block) {
        metadata.add(block);
    }

    /** Data home and flushed, then the metadata as one transaction (the order jbd2's T_FLUSH keeps). */
    CommittedTransaction commit(JournalWriter journal, long commitSec) {
        List<MetadataBlock> blocks = new ArrayList<>();
        for (Map.Entry<Long, byte[]> e : dirty.entrySet()) {
            if (metadata.contains(e.getKey())) {
                blocks.add(new MetadataBlock(e.getKey(), e.getValue()));
                journaled.put(e.getKey(), e.getValue());
            } else {
                dev.write(e.getKey(), e.getValue());
            }
        }
        dev.flush();
        dirty.clear();
        metadata.clear();
        return journal.commit(new Transaction(blocks, List.of(), commitSec, 0));
    }

    @Override
    public int blockSize() {
        return dev.blockSize();
    }

    @Override
    public long blocks() {
        return dev.blocks();
    }

    @Override
    public void read(long block, byte[] dst) {
        byte[] b = dirty.getOrDefault(block, journaled.get(block));
        if (b == null) {
            dev.read(block, dst);
        } else {
            System.arraycopy(b, 0, dst, 0, b.length);
        }
    }

    @Override
    public void write(long block, byte[] src) {
        dirty.put(block, src.clone());
    }

    @Override
    public void flush() {
        // Dirty buffers reach the device only through commit.
    }
}
