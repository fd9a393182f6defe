package dev.ext4sim.blockdev.block;

/** A dev_t: MAJOR is dev >> 20, MINOR dev & 0xFFFFF, as the kernel stores it in tracepoint fields. */
public record Dev(int major, int minor) {
    public long devT() {
        return ((long) major << 20) | minor;
    }

    public static Dev of(long devT) {
        return new Dev((int) (devT >> 20), (int) (devT & 0xFFFFF));
    }

    /** As ext4 and block events print it: "8,1". */
    @Override
    public String toString() {
        return major + "," + minor;
    }

    /** As a bdi is named: "8:0". */
    public String bdiName() {
        return major + ":" + minor;
    }
}
