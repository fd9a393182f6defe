package dev.ext4sim.ondisk.jbd2;

/**
 * The journal superblock's feature bits ({@code JBD2_FEATURE_*} in include/linux/jbd2.h) and the sets this
 * library understands. A journal with a feature outside them is refused, as e2fsck refuses it: replaying a log
 * whose layout we do not know could write garbage home.
 */
public final class JournalFeatures {
    /** compat: CRC32 of the transaction's blocks in the commit block (checksum v1). */
    public static final int COMPAT_CHECKSUM = 0x1;

    public static final int INCOMPAT_REVOKE = 0x1;
    public static final int INCOMPAT_64BIT = 0x2;
    public static final int INCOMPAT_ASYNC_COMMIT = 0x4;
    public static final int INCOMPAT_CSUM_V2 = 0x8;
    public static final int INCOMPAT_CSUM_V3 = 0x10;
    public static final int INCOMPAT_FAST_COMMIT = 0x20;

    /** Incompat bits recovery and the writer handle. FAST_COMMIT is known to e2fsck but not implemented here. */
    public static final int SUPPORTED_INCOMPAT =
            INCOMPAT_REVOKE | INCOMPAT_64BIT | INCOMPAT_ASYNC_COMMIT | INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3;

    /** {@code JBD2_CRC32C_CHKSUM}: the only checksum type with CSUM_V2/V3. */
    public static final int CHECKSUM_TYPE_CRC32C = 4;

    private JournalFeatures() {
    }

    /**
     * The incompat set the kernel ends up with on a filesystem: REVOKE always (set on the first revoke), 64BIT
     * when the filesystem is 64bit (ext4_fill_super), CSUM_V3 with metadata_csum
     * (ext4_set_journal_csum_feature_set).
     */
    public static int incompatFor(boolean fs64bit, boolean metadataCsum) {
        int f = INCOMPAT_REVOKE;
        if (fs64bit) {
            f |= INCOMPAT_64BIT;
        }
        if (metadataCsum) {
            f |= INCOMPAT_CSUM_V3;
        }
        return f;
    }

    static String describeIncompat(int bits) {
        StringBuilder sb = new StringBuilder();
        String[] names = {"revoke", "64bit", "async_commit", "csum_v2", "csum_v3", "fast_commit"};
        for (int i = 0; i < 32; i++) {
            if ((bits & (1 << i)) != 0) {
                sb.append(sb.isEmpty() ? "" : "|").append(i < names.length ? names[i] : String.format("0x%x", 1 << i));
            }
        }
        return sb.isEmpty() ? "none" : sb.toString();
    }
}
