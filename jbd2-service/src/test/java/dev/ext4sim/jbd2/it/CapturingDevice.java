package dev.ext4sim.jbd2.it;

import dev.ext4sim.ondisk.BlockDevice;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A scratch copy of the image under the ondisk Ext4Filesystem, remembering what one operation wrote: the
 * metadata blocks (reported by the filesystem's metadata listener) become a journal handle, the rest is file data
 * that ext4 writes to the device itself before the commit (data=ordered).
 */
final class CapturingDevice implements BlockDevice {
    private final BlockDevice scratch;
    private final Map<Long, byte[]> written = new TreeMap<>();
    private final Set<Long> metadata = new HashSet<>();

    CapturingDevice(BlockDevice scratch) {
        this.scratch = scratch;
    }

    void markMetadata(long block) {
        metadata.add(block);
    }

    /** The metadata blocks written since the last call, with their contents; forgets everything written. */
    Map<Long, byte[]> takeMetadata(Map<Long, byte[]> dataOut) {
        Map<Long, byte[]> meta = new TreeMap<>();
        written.forEach((block, contents) -> (metadata.contains(block) ? meta : dataOut).put(block, contents));
        written.clear();
        metadata.clear();
        return meta;
    }

    @Override
    public int blockSize() {
        return scratch.blockSize();
    }

    @Override
    public long blocks() {
        return scratch.blocks();
    }

    @Override
    public void read(long block, byte[] dst) {
        scratch.read(block, dst);
    }

    @Override
    public void write(long block, byte[] src) {
        scratch.write(block, src);
        written.put(block, src.clone());
    }

    @Override
    public void flush() {
        scratch.flush();
    }
}
