package dev.ext4sim.launcher.chaos;

import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one file must hold: its content after every write and truncate that succeeded (the model), and what the last
 * successful fsync (or fdatasync, or O_SYNC write) made durable: the model as it was then, less the bytes changed since.
 * A crash may lose what was written after the last durability call, and nothing before it. A direct write that was not
 * acknowledged may leave each block it covers old or new, and nothing else.
 */
final class FileLedger {
    private byte[] model = new byte[0];
    private byte[] acked = new byte[0];
    /** Bytes of {@link #acked} changed (written or cut off) since it was taken: either value may survive. */
    private final BitSet changedSinceAck = new BitSet();
    private boolean shrunkSinceAck;
    /** An operation whose outcome nobody learned: the exact check after a clean unmount is off for this file. */
    private boolean uncertain;
    private long ackedBytes;
    /** The blocks of direct writes not acknowledged since the last durability call, by offset. */
    private final TreeMap<Long, Durable.Block> direct = new TreeMap<>();

    synchronized void wrote(long offset, byte[] data) {
        int end = Math.toIntExact(offset + data.length);
        if (end > model.length) {
            model = Arrays.copyOf(model, end);
        }
        System.arraycopy(data, 0, model, (int) offset, data.length);
        changedSinceAck.set((int) offset, end);
    }

    synchronized void truncated(long length) {
        int len = Math.toIntExact(length);
        if (len < model.length) {
            shrunkSinceAck = true;
            changedSinceAck.set(len, model.length);
        } else {
            changedSinceAck.set(model.length, len);
        }
        model = Arrays.copyOf(model, len);
        direct.tailMap((long) len / Durable.BLOCK * Durable.BLOCK, true).clear(); // cut: either value, as above
    }

    /** An operation whose outcome nobody will learn: bytes {@code [from, from + length)} may hold either, for good. */
    synchronized void uncertain(long from, long length) {
        uncertain = true;
        mayHaveHappened(from, length);
    }

    /**
     * An attempt that failed, and may have happened all the same (its bytes may even have reached the disk before a
     * crash): until the call is made again and succeeds, bytes {@code [from, from + length)} may hold either value
     * ({@code length} Long.MAX_VALUE: a truncate to {@code from}).
     */
    synchronized void mayHaveHappened(long from, long length) {
        int end = (int) Math.min(acked.length, from + Math.min(length, Integer.MAX_VALUE));
        if (from < end) {
            changedSinceAck.set((int) from, end);
        }
        if (length == Long.MAX_VALUE) {
            shrunkSinceAck = true;
        }
    }

    /**
     * A direct write (O_DIRECT, whole blocks at block boundaries) that failed and may have happened all the same: as
     * {@link #mayHaveHappened}, and besides, until a durability call, each block from {@code offset} to its end, and
     * each of the hole it leaves past the end of the file, must read whole as it was (acknowledged, or as the model
     * has it now) or as the write leaves it.
     */
    synchronized void directWriteMayHaveHappened(long offset, byte[] data) {
        mayHaveHappened(offset, data.length);
        int end = Math.toIntExact(offset + data.length);
        byte[] after = Arrays.copyOf(model, Math.max(model.length, end));
        System.arraycopy(data, 0, after, (int) offset, data.length);
        for (long b = Math.min(offset, model.length) / Durable.BLOCK * Durable.BLOCK; b < end; b += Durable.BLOCK) {
            Durable.Block block = direct.getOrDefault(b, new Durable.Block(b, List.of(), false));
            direct.put(b, block.or(Durable.Block.of(acked, b), b >= acked.length)
                    .or(Durable.Block.of(model, b), b >= model.length)
                    .or(Durable.Block.of(after, b), false));
        }
    }

    /** A crash that may lose what was not acknowledged (ext4's page cache, the device's cache): no exact check. */
    synchronized void unacknowledgedMayBeLost() {
        uncertain = true;
    }

    synchronized boolean uncertain() {
        return uncertain;
    }

    /**
     * The file was read back as {@code found} with nobody writing it (its only writer is about to open it again after a
     * crash): the acknowledged bytes it lost are counted once and returned, and what it holds becomes the model, as
     * exact as before the crash.
     */
    synchronized long rebase(byte[] found) {
        long lost = takeLost(found);
        model = found.clone();
        changedSinceAck.set(0, Math.max(acked.length, model.length));
        for (int i = 0; i < Math.min(acked.length, model.length); i++) {
            if (acked[i] == model[i]) {
                changedSinceAck.clear(i);
            }
        }
        shrunkSinceAck = model.length < acked.length;
        uncertain = false;
        return lost;
    }

    /**
     * The acknowledged bytes {@code found} lost, and the bytes of direct-write blocks it holds neither version of,
     * counted once: they are no longer held against later reads (the report has them).
     */
    synchronized long takeLost(byte[] found) {
        BitSet lost = durable().lostBytes(found);
        changedSinceAck.or(lost);
        direct.replaceAll((b, block) -> block.heldBy(found) ? block
                : block.or(Durable.Block.of(found, b), found.length <= b));
        return lost.cardinality();
    }

    /** A durability call covering everything before it returned success. */
    synchronized void synced() {
        acked = model.clone();
        changedSinceAck.clear();
        shrunkSinceAck = false;
        direct.clear();
        ackedBytes = acked.length;
    }

    /** The offsets of the model's whole blocks that hold only zeros: holes, or extents a crash left unwritten. */
    synchronized List<Long> blocksOfZeros() {
        List<Long> zeros = new java.util.ArrayList<>();
        byte[] none = new byte[Durable.BLOCK];
        for (int b = 0; b + Durable.BLOCK <= model.length; b += Durable.BLOCK) {
            if (Arrays.equals(model, b, b + Durable.BLOCK, none, 0, Durable.BLOCK)) {
                zeros.add((long) b);
            }
        }
        return zeros;
    }

    synchronized long size() {
        return model.length;
    }

    synchronized byte[] model() {
        return model.clone();
    }

    synchronized long ackedBytes() {
        return ackedBytes;
    }

    /**
     * The acknowledged bytes {@code found} does not hold: those of the last durable state that nothing changed since,
     * missing or different; and the bytes of each block of an unacknowledged direct write that reads as neither its
     * old nor its new bytes. 0 is the only right answer.
     */
    synchronized long lostAcknowledged(byte[] found) {
        return durable().lost(found);
    }

    /** Where {@code found} first loses an acknowledged byte or a direct write's block, for the report. */
    synchronized String describeLoss(byte[] found) {
        return durable().describe(found) + " (model " + model.length + ")";
    }

    /** What a crash now must leave of the file, kept apart from what the ledger learns later. */
    synchronized Durable durable() {
        return new Durable(acked, (BitSet) changedSinceAck.clone(), shrunkSinceAck, Map.copyOf(direct));
    }

    /** After a clean unmount everything that succeeded is on the disk: the bytes of {@code found} that differ. */
    synchronized long differsFromModel(byte[] found) {
        long diff = Math.abs((long) found.length - model.length);
        for (int i = 0; i < Math.min(found.length, model.length); i++) {
            if (found[i] != model[i]) {
                diff++;
            }
        }
        return diff;
    }
}
