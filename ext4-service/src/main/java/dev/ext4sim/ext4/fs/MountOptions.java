package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;

/**
 * The mount options ext4sim understands (super.c parse_options): delayed allocation on or off, and the data mode.
 * The defaults are 4.19's for a filesystem with a journal: delalloc, data=ordered.
 *
 * @param delalloc false for {@code nodelalloc} and for data=journal: ext4_set_aops then picks ext4_aops (or
 *                 ext4_journalled_aops), whose write_begin allocates
 * @param data     how file data reaches the disk against the journal (ext4_inode_journal_mode)
 * @param text     the options as given, for the mount's "Opts:" line; empty for none
 */
public record MountOptions(boolean delalloc, DataMode data, String text) {
    /** data= (EXT4_MOUNT_DATA_FLAGS). */
    public enum DataMode {
        ORDERED("ordered", "ordered"), WRITEBACK("writeback", "writeback"), JOURNAL("journal", "journalled");

        private final String option;
        private final String described;

        DataMode(String option, String described) {
            this.option = option;
            this.described = described;
        }

        /** What data= takes. */
        public String option() {
            return option;
        }

        /** As ext4_fill_super's "mounted filesystem with %s data mode" names it. */
        public String described() {
            return described;
        }
    }

    static final String SUPPORTED = "delalloc, nodelalloc, data=ordered, data=writeback, data=journal";

    /** ext4_fill_super's printk_once for data=journal (no device in it: "EXT4-fs: Warning: ..."). */
    public static final String JOURNAL_DATA_WARNING =
            "Warning: mounting with data=journal disables delayed allocation and O_DIRECT support!";

    public static final MountOptions DEFAULTS = new MountOptions(true, DataMode.ORDERED, "");

    public MountOptions {
        java.util.Objects.requireNonNull(data);
        text = text == null ? "" : text;
    }

    /**
     * parse_options on a comma-separated list; the last of conflicting options wins, as in the kernel. data=journal
     * clears delalloc, and refuses an explicit {@code delalloc} whatever its place (EXT4_MOUNT2_EXPLICIT_DELALLOC).
     * Anything else is EINVAL with the options ext4sim supports, and nothing is mounted.
     */
    public static MountOptions parse(String options) {
        if (options == null || options.isBlank()) {
            return DEFAULTS;
        }
        boolean delalloc = true;
        boolean explicitDelalloc = false;
        DataMode data = DataMode.ORDERED;
        for (String raw : options.split(",", -1)) {
            String opt = raw.strip();
            switch (opt) {
                case "delalloc" -> {
                    delalloc = true;
                    explicitDelalloc = true;
                }
                case "nodelalloc" -> delalloc = false;
                case "data=ordered" -> data = DataMode.ORDERED;
                case "data=writeback" -> data = DataMode.WRITEBACK;
                case "data=journal" -> data = DataMode.JOURNAL;
                default -> throw new ErrnoException(Errno.EINVAL, "Unrecognized mount option \"" + opt
                        + "\" or missing value; supported: " + SUPPORTED);
            }
        }
        if (data == DataMode.JOURNAL) {
            if (explicitDelalloc) {
                throw new ErrnoException(Errno.EINVAL, "can't mount with both data=journal and delalloc: drop delalloc"
                        + " (data=journal allocates at write time)");
            }
            delalloc = false;
        }
        return new MountOptions(delalloc, data, options.strip());
    }

    /** test_opt(sb, DATA_FLAGS) == EXT4_MOUNT_JOURNAL_DATA: every regular file's data is logged (ext4_should_journal_data). */
    public boolean journalData() {
        return data == DataMode.JOURNAL;
    }

    /** ext4_fill_super's last line: "mounted filesystem with ordered data mode. Opts: (null)". */
    public String mountedMessage() {
        return "mounted filesystem with " + data.described() + " data mode. Opts: " + (text.isEmpty() ? "(null)" : text);
    }
}
