package dev.ext4sim.launcher.chaos;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * What a file must hold after a crash at one moment: the bytes its last durability call acknowledged, less those
 * changed since ({@code changed}: either value may survive), and whether it may have shrunk since; besides, by offset,
 * the blocks of unacknowledged direct writes ({@code direct}), each of which must read whole as one of its versions.
 */
record Durable(byte[] acked, BitSet changed, boolean shrunk, Map<Long, Block> direct) {
    static final Durable NOTHING = new Durable(new byte[0], new BitSet(), false);
    /** What a direct write replaces whole: the filesystem's block, the device's logical block. */
    static final int BLOCK = 4096;

    Durable(byte[] acked, BitSet changed, boolean shrunk) {
        this(acked, changed, shrunk, Map.of());
    }

    /**
     * A block at {@code offset} that an unacknowledged direct write covers, or the hole it leaves between the end of the
     * file and itself. do_blockdev_direct_IO writes it from the caller's buffer into a block nobody reads until
     * the write is done (an unwritten extent reads as zeros, a block past i_size not at all), so a crash leaves one of
     * {@code versions} (its old bytes, its new), all of it, or, if {@code mayBeAbsent}, nothing: the file ends before.
     * Anything else is a block the file read from somewhere it did not own, or a torn one.
     */
    record Block(long offset, List<byte[]> versions, boolean mayBeAbsent) {
        /** The same, also allowing {@code version} ({@link #BLOCK} bytes), or no block at all when {@code absent}. */
        Block or(byte[] version, boolean absent) {
            List<byte[]> v = new ArrayList<>(versions);
            if (v.stream().noneMatch(x -> Arrays.equals(x, version))) {
                v.add(version);
            }
            return new Block(offset, List.copyOf(v), mayBeAbsent || absent);
        }

        boolean heldBy(byte[] found) {
            if (found.length <= offset) {
                return mayBeAbsent;
            }
            int from = (int) offset;
            int end = (int) Math.min(found.length, offset + BLOCK);
            return versions.stream().anyMatch(v -> Arrays.equals(found, from, end, v, 0, end - from));
        }

        /** What {@code content} holds at this block, zeros past its end: the block a file of that content reads. */
        static byte[] of(byte[] content, long offset) {
            return offset >= content.length ? new byte[BLOCK]
                    : Arrays.copyOfRange(content, (int) offset, (int) offset + BLOCK);
        }
    }

    /** The same with an operation in flight over {@code [from, from + length)} ({@code Long.MAX_VALUE}: a truncate). */
    Durable inFlight(long from, long length) {
        BitSet c = (BitSet) changed.clone();
        int end = (int) Math.min(acked.length, from + Math.min(length, Integer.MAX_VALUE));
        if (from < end) {
            c.set((int) from, end);
        }
        return new Durable(acked, c, shrunk || length == Long.MAX_VALUE, direct);
    }

    /** The acknowledged bytes {@code found} does not hold, and those of its direct blocks it holds none of; 0 is the only right answer. */
    long lost(byte[] found) {
        return lostBytes(found).cardinality();
    }

    /** The offsets {@link #lost} counts: an acknowledged byte lost, or a whole block of a direct write that is none of its versions. */
    BitSet lostBytes(byte[] found) {
        BitSet lost = new BitSet();
        for (int i = 0; i < acked.length; i++) {
            if (!direct.containsKey(blockOf(i)) && lostAt(found, i)) {
                lost.set(i);
            }
        }
        for (Block b : direct.values()) {
            if (!b.heldBy(found)) {
                lost.set((int) b.offset(), (int) b.offset() + BLOCK);
            }
        }
        return lost;
    }

    private static long blockOf(long i) {
        return i / BLOCK * BLOCK;
    }

    private boolean lostAt(byte[] found, int i) {
        if (changed.get(i)) {
            return false;
        }
        return i >= found.length ? !shrunk : found[i] != acked[i];
    }

    /** Where {@code found} first loses an acknowledged byte or a direct write's block, for the report. */
    String describe(byte[] found) {
        int i = lostBytes(found).nextSetBit(0);
        if (i < 0) {
            return "nothing lost";
        }
        Block b = direct.get(blockOf(i));
        if (b != null) {
            return "the block at offset " + b.offset() + " of an unacknowledged direct write holds "
                    + (found.length <= b.offset() ? "nothing (the file ends at " + found.length + ")"
                    : "neither its old bytes nor its new (found " + found.length + " bytes)");
        }
        return "first lost byte at offset " + i + " (acknowledged length " + acked.length + ", found "
                + found.length + (i < found.length ? ", found " + found[i] + " for " + acked[i] : "") + ")";
    }
}
