package dev.ext4sim.launcher.chaos;

import java.util.BitSet;

/**
 * What a file must hold after a crash at one moment: the bytes its last durability call acknowledged, less those
 * changed since ({@code changed}: either value may survive), and whether it may have shrunk since.
 */
record Durable(byte[] acked, BitSet changed, boolean shrunk) {
    static final Durable NOTHING = new Durable(new byte[0], new BitSet(), false);

    /** The same with an operation in flight over {@code [from, from + length)} ({@code Long.MAX_VALUE}: a truncate). */
    Durable inFlight(long from, long length) {
        BitSet c = (BitSet) changed.clone();
        int end = (int) Math.min(acked.length, from + Math.min(length, Integer.MAX_VALUE));
        if (from < end) {
            c.set((int) from, end);
        }
        return new Durable(acked, c, shrunk || length == Long.MAX_VALUE);
    }

    /** The acknowledged bytes {@code found} does not hold; 0 is the only right answer. */
    long lost(byte[] found) {
        long lost = 0;
        for (int i = 0; i < acked.length; i++) {
            if (lostAt(found, i)) {
                lost++;
            }
        }
        return lost;
    }

    boolean lostAt(byte[] found, int i) {
        if (changed.get(i)) {
            return false;
        }
        return i >= found.length ? !shrunk : found[i] != acked[i];
    }

    /** Where {@code found} first loses an acknowledged byte, for the report. */
    String describe(byte[] found) {
        for (int i = 0; i < acked.length; i++) {
            if (lostAt(found, i)) {
                return "first lost byte at offset " + i + " (acknowledged length " + acked.length + ", found "
                        + found.length + (i < found.length ? ", found " + found[i] + " for " + acked[i] : "") + ")";
            }
        }
        return "nothing lost";
    }
}
