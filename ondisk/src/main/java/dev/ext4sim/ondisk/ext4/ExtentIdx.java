package dev.ext4sim.ondisk.ext4;

/** {@code struct ext4_extent_idx}: the subtree at block {@code leaf} covers logical blocks from {@code lblk}. */
public record ExtentIdx(long lblk, long leaf, int unused) {
    public ExtentIdx(long lblk, long leaf) {
        this(lblk, leaf, 0);
    }
}
