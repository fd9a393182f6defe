package dev.ext4sim.ondisk.ext4;

/**
 * {@code struct ext4_extent}: {@code len} blocks from logical block {@code lblk} at physical {@code pblk}.
 * On disk ee_len above 32768 means unwritten (ext4_ext_is_unwritten); here that is the flag.
 */
public record Extent(long lblk, int len, long pblk, boolean unwritten) {
    /** EXT_INIT_MAX_LEN: the longest initialized extent. */
    public static final int INIT_MAX_LEN = 32768;
    public static final int UNWRITTEN_MAX_LEN = 32767;

    public Extent {
        if (len <= 0 || len > (unwritten ? UNWRITTEN_MAX_LEN : INIT_MAX_LEN)) {
            throw new IllegalArgumentException("extent length " + len + " outside 1.." + (unwritten ? UNWRITTEN_MAX_LEN : INIT_MAX_LEN));
        }
        if (lblk < 0 || lblk + len > 1L << 32) {
            throw new IllegalArgumentException("logical block " + lblk + "+" + len + " outside the 32-bit range");
        }
        if (pblk < 0 || pblk >= 1L << 48) {
            throw new IllegalArgumentException("physical block " + pblk + " outside the 48-bit range");
        }
    }

    public Extent(long lblk, int len, long pblk) {
        this(lblk, len, pblk, false);
    }

    public long endLblk() {
        return lblk + len;
    }

    /** Physical block of {@code l}, which must lie inside this extent. */
    public long map(long l) {
        return pblk + (l - lblk);
    }

    public boolean contains(long l) {
        return l >= lblk && l < lblk + len;
    }

    /** ee_len as stored. */
    public int rawLen() {
        return unwritten ? len + INIT_MAX_LEN : len;
    }
}
