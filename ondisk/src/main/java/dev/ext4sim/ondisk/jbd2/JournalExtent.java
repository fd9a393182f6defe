package dev.ext4sim.ondisk.jbd2;

/** {@code length} journal blocks from {@code logical} on, stored at device blocks from {@code physical} on. */
public record JournalExtent(long logical, long physical, long length) {
    public JournalExtent {
        if (logical < 0 || physical < 0 || length <= 0) {
            throw new IllegalArgumentException("impossible journal extent " + logical + "+" + length + " at " + physical);
        }
    }
}
