package dev.ext4sim.ondisk;

/**
 * A structure on the image is not what it must be: wrong magic, bad checksum, truncated image, impossible
 * field. The message names the structure and the block, as e2fsck does, so that a reader can find it with
 * {@code debugfs} or {@code dumpe2fs}.
 */
public class OnDiskException extends RuntimeException {
    private final String structure;
    private final long block;

    /** @param block the filesystem block (or journal block, as the structure says) where it was found; -1 if none */
    public OnDiskException(String structure, long block, String detail) {
        super(structure + (block >= 0 ? " at block " + block : "") + ": " + detail);
        this.structure = structure;
        this.block = block;
    }

    public String structure() {
        return structure;
    }

    public long block() {
        return block;
    }
}
