package dev.ext4sim.ondisk.jbd2;

/** A block to journal: its home (filesystem) block number and its full contents. */
public record MetadataBlock(long home, byte[] data) {
    public MetadataBlock {
        if (home < 0) {
            throw new IllegalArgumentException("negative home block " + home);
        }
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    byte[] dataNoCopy() {
        return data;
    }
}
