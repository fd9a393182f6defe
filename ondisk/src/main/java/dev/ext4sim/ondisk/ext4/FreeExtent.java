package dev.ext4sim.ondisk.ext4;

/**
 * struct ext4_free_extent: {@code len} blocks at offset {@code start} of {@code group}, for the file's block
 * {@code logical}. The tracepoints print it as group/start/len@logical.
 */
public record FreeExtent(long logical, int group, int start, int len) {
    FreeExtent withLen(int n) {
        return new FreeExtent(logical, group, start, n);
    }
}
