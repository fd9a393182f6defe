package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;

/**
 * The mount options ext4sim understands (super.c parse_options): delayed allocation on or off, and the data mode.
 * The defaults are 4.19's for a filesystem with a journal: delalloc, data=ordered.
 *
 * @param delalloc false for {@code nodelalloc}: ext4_set_aops picks ext4_aops, whose write_begin allocates
 * @param data     how file data is ordered against the journal (ext4_should_order_data)
 * @param text     the options as given, for the mount's "Opts:" line; empty for none
 */
public record MountOptions(boolean delalloc, DataMode data, String text) {
    /** data= (EXT4_MOUNT_DATA_FLAGS); data=journal is refused, see {@link #parse}. */
    public enum DataMode {
        ORDERED("ordered"), WRITEBACK("writeback");

        private final String option;

        DataMode(String option) {
            this.option = option;
        }

        /** As ext4_fill_super's "mounted filesystem with %s data mode" names it. */
        public String option() {
            return option;
        }
    }

    static final String SUPPORTED = "delalloc, nodelalloc, data=ordered, data=writeback";

    public static final MountOptions DEFAULTS = new MountOptions(true, DataMode.ORDERED, "");

    public MountOptions {
        java.util.Objects.requireNonNull(data);
        text = text == null ? "" : text;
    }

    /**
     * parse_options on a comma-separated list; the last of conflicting options wins, as in the kernel. Anything else
     * is EINVAL with the options ext4sim supports, and nothing is mounted.
     */
    public static MountOptions parse(String options) {
        if (options == null || options.isBlank()) {
            return DEFAULTS;
        }
        boolean delalloc = true;
        DataMode data = DataMode.ORDERED;
        for (String raw : options.split(",", -1)) {
            String opt = raw.strip();
            switch (opt) {
                case "delalloc" -> delalloc = true;
                case "nodelalloc" -> delalloc = false;
                case "data=ordered" -> data = DataMode.ORDERED;
                case "data=writeback" -> data = DataMode.WRITEBACK;
                case "data=journal" -> throw new ErrnoException(Errno.EINVAL, "mount option data=journal is not supported"
                        + " by ext4sim (journalled file data is not simulated); supported: " + SUPPORTED);
                default -> throw new ErrnoException(Errno.EINVAL, "Unrecognized mount option \"" + opt
                        + "\" or missing value; supported: " + SUPPORTED);
            }
        }
        return new MountOptions(delalloc, data, options.strip());
    }

    /** ext4_fill_super's last line: "mounted filesystem with ordered data mode. Opts: (null)". */
    public String mountedMessage() {
        return "mounted filesystem with " + data.option() + " data mode. Opts: " + (text.isEmpty() ? "(null)" : text);
    }
}
