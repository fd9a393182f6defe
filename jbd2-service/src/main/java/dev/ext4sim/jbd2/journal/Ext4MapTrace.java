package dev.ext4sim.jbd2.journal;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.bus.trace.Tracepoint;
import dev.ext4sim.bus.trace.Tracer;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The ext4 tracepoints (system "ext4", include/trace/events/ext4.h) that ext4_map_blocks emits when kjournald2 maps a
 * log block of the journal inode. Formats, field order and printk order are those ext4-service's Ext4Trace defines,
 * so the same event reads the same from either service; ext4_ext_show_extent is added, which ext4-service's paths do
 * not reach. {@code dev} is the filesystem's dev_t (8,1), as the jbd2 events print it.
 */
final class Ext4MapTrace {
    private static final String EXT4 = "ext4";

    /** show_map_flags (EXT4_GET_BLOCKS_*), as ext4-service prints them. */
    private static final long[] MAP_FLAG_BITS = {0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x100, 0x200, 0x400, 0x40000000};
    private static final String[] MAP_FLAG_NAMES = {"CREATE", "UNWRIT", "DELALLOC", "PRE_IO", "CONVERT",
        "METADATA_NOFAIL", "NO_NORMALIZE", "CONVERT_UNWRITTEN", "ZERO", "IO_SUBMIT", "EX_NOCACHE"};
    /** show_mflags with the buffer-head bits of kernels before ~5.8 (BH_New = 6, BH_Mapped = 5). */
    static final int MAP_MAPPED = 0x20;
    private static final long[] MFLAG_BITS = {0x40, MAP_MAPPED, 0x1000, 0x400};
    private static final String[] MFLAG_NAMES = {"N", "M", "U", "B"};
    /**
     * show_extent_status of 4.19: W, U, D, H. EXTENT_STATUS_REFERENCED has no letter there (it got "R" in 5.5), so
     * a referenced extent prints its bit as hex ("W0x10").
     */
    static final int ES_WRITTEN = 0x1;
    static final int ES_REFERENCED = 0x10;
    private static final long[] ES_BITS = {ES_WRITTEN, 0x2, 0x4, 0x8};
    private static final String[] ES_NAMES = {"W", "U", "D", "H"};

    static final Tracepoint ES_LOOKUP_EXTENT_ENTER = dev("ext4_es_lookup_extent_enter", "dev %d,%d ino %lu lblk %u",
            UnaryOperator.identity(), "ino", "lblk");
    /** Printed (found, lblk, len, found ? pblk : 0, show_extent_status(found ? status : 0)). */
    static final Tracepoint ES_LOOKUP_EXTENT_EXIT = Tracepoint.define(EXT4, "ext4_es_lookup_extent_exit",
                    "dev %d,%d ino %lu found %d [%u/%u) %llu %s", "dev", "ino", "lblk", "len", "pblk", "status", "found")
            .printk(v -> {
                boolean found = ((Number) v[6]).intValue() != 0;
                return new Object[]{major(v[0]), minor(v[0]), v[1], v[6], v[2], v[3], found ? v[4] : 0L,
                    print(found ? ((Number) v[5]).longValue() : 0, "", ES_BITS, ES_NAMES)};
            });
    /**
     * 5.5+ (the 6.x profile): show_extent_status has R for EXTENT_STATUS_REFERENCED, so a hit after the first
     * prints "WR".
     */
    private static final long[] ES_BITS_6X = {ES_WRITTEN, 0x2, 0x4, 0x8, ES_REFERENCED};
    private static final String[] ES_NAMES_6X = {"W", "U", "D", "H", "R"};
    static final Tracepoint ES_LOOKUP_EXTENT_EXIT_6X = Tracepoint.define(EXT4, "ext4_es_lookup_extent_exit",
                    "dev %d,%d ino %lu found %d [%u/%u) %llu %s", "dev", "ino", "lblk", "len", "pblk", "status", "found")
            .printk(v -> {
                boolean found = ((Number) v[6]).intValue() != 0;
                return new Object[]{major(v[0]), minor(v[0]), v[1], v[6], v[2], v[3], found ? v[4] : 0L,
                    print(found ? ((Number) v[5]).longValue() : 0, "", ES_BITS_6X, ES_NAMES_6X)};
            });
    static final Tracepoint EXT_MAP_BLOCKS_ENTER = dev("ext4_ext_map_blocks_enter",
            "dev %d,%d ino %lu lblk %u len %u flags %s", a -> withFlags(a, 5, MAP_FLAG_BITS, MAP_FLAG_NAMES, "|"),
            "ino", "lblk", "len", "flags");
    /** TP_STRUCT order (ino, pblk, lblk, len), printed (lblk, pblk, len). */
    static final Tracepoint EXT_SHOW_EXTENT = dev("ext4_ext_show_extent", "dev %d,%d ino %lu lblk %u pblk %llu len %u",
            a -> new Object[]{a[0], a[1], a[2], a[4], a[3], a[5]}, "ino", "pblk", "lblk", "len");
    static final Tracepoint EXT_MAP_BLOCKS_EXIT = dev("ext4_ext_map_blocks_exit",
            "dev %d,%d ino %lu flags %s lblk %u pblk %llu len %u mflags %s ret %d",
            // struct order (.., flags, pblk, lblk, ..), printed (.., flags, lblk, pblk, ..)
            a -> new Object[]{a[0], a[1], a[2], print(((Number) a[3]).longValue(), "|", MAP_FLAG_BITS, MAP_FLAG_NAMES),
                a[5], a[4], a[6], print(((Number) a[7]).longValue(), "", MFLAG_BITS, MFLAG_NAMES), a[8]},
            "ino", "flags", "pblk", "lblk", "len", "mflags", "ret");
    static final Tracepoint ES_INSERT_EXTENT = dev("ext4_es_insert_extent",
            "dev %d,%d ino %lu es [%u/%u) mapped %llu status %s", a -> withFlags(a, 6, ES_BITS, ES_NAMES, ""),
            "ino", "lblk", "len", "pblk", "status");

    private final Tracer tracer;
    private final int devT;

    Ext4MapTrace(Tracer tracer, int devT) {
        this.tracer = Objects.requireNonNull(tracer);
        this.devT = devT;
    }

    /** ext4_es_lookup_extent_exit in the tracer's kernel profile. */
    Tracepoint esLookupExtentExit() {
        return tracer.profile().v6() ? ES_LOOKUP_EXTENT_EXIT_6X : ES_LOOKUP_EXTENT_EXIT;
    }

    /** Whether the tracer follows a 6.x kernel. */
    boolean v6() {
        return tracer.profile().v6();
    }

    /** Emits an ext4 event: {@code values} are the fields after {@code dev}. */
    void emit(Tracepoint tp, TraceContext ctx, Object... values) {
        Object[] all = new Object[values.length + 1];
        all[0] = devT;
        System.arraycopy(values, 0, all, 1, values.length);
        tracer.emit(tp, ctx, all);
    }

    private static int major(Object devT) {
        return ((Number) devT).intValue() >>> 20;
    }

    private static int minor(Object devT) {
        return ((Number) devT).intValue() & 0xFFFFF;
    }

    /** A tracepoint whose first field is dev; {@code fix} rewrites the printed arguments (after MAJOR, MINOR). */
    private static Tracepoint dev(String name, String printk, UnaryOperator<Object[]> fix, String... fields) {
        String[] all = new String[fields.length + 1];
        all[0] = "dev";
        System.arraycopy(fields, 0, all, 1, fields.length);
        return Tracepoint.define(EXT4, name, printk, all).printk(v -> {
            Object[] a = new Object[v.length + 1];
            a[0] = major(v[0]);
            a[1] = minor(v[0]);
            System.arraycopy(v, 1, a, 2, v.length - 1);
            return fix.apply(a);
        });
    }

    private static Object[] withFlags(Object[] a, int at, long[] bits, String[] names, String delim) {
        a[at] = print(((Number) a[at]).longValue(), delim, bits, names);
        return a;
    }

    /** __print_flags(v, delim, table): the names of the set entries in table order, then any bits left as hex. */
    static String print(long v, String delim, long[] bits, String[] names) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < bits.length && v != 0; i++) {
            if ((v & bits[i]) == bits[i]) {
                if (!out.isEmpty()) {
                    out.append(delim);
                }
                out.append(names[i]);
                v &= ~bits[i];
            }
        }
        if (v != 0) {
            if (!out.isEmpty()) {
                out.append(delim);
            }
            out.append("0x").append(Long.toHexString(v));
        }
        return out.toString();
    }
}
