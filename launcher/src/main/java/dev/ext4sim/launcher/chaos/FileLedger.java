package dev.ext4sim.launcher.chaos;

import java.util.Arrays;
import java.util.BitSet;

/**
 * What one file must hold: its content after every write and truncate that succeeded (the model), and what the last
 * successful fsync (or fdatasync, or O_SYNC write) made durable: the model as it was then, less the bytes changed since.
 * A crash may lose what was written after the last durability call, and nothing before it.
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
     * The acknowledged bytes {@code found} lost, counted once: they are no longer held against later reads (the
     * report has them).
     */
    synchronized long takeLost(byte[] found) {
        long lost = lostAcknowledged(found);
        if (lost > 0) {
            Durable d = new Durable(acked, changedSinceAck, shrunkSinceAck);
            for (int i = 0; i < acked.length; i++) {
                if (d.lostAt(found, i)) {
                    changedSinceAck.set(i);
                }
            }
        }
        return lost;
    }

    /** A durability call covering everything before it returned success. */
    synchronized void synced() {
        acked = model.clone();
        changedSinceAck.clear();
        shrunkSinceAck = false;
        ackedBytes = acked.length;
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
     * missing or different. 0 is the only right answer.
     */
    synchronized long lostAcknowledged(byte[] found) {
        return new Durable(acked, changedSinceAck, shrunkSinceAck).lost(found);
    }

    /** Where {@code found} first loses an acknowledged byte, for the report: offset, and the lengths. */
    synchronized String describeLoss(byte[] found) {
        return new Durable(acked, changedSinceAck, shrunkSinceAck).describe(found) + " (model " + model.length + ")";
    }

    /** What a crash now must leave of the file, kept apart from what the ledger learns later. */
    synchronized Durable durable() {
        return new Durable(acked, (BitSet) changedSinceAck.clone(), shrunkSinceAck);
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
