package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.BlockDevice;
import dev.ext4sim.ondisk.OnDiskException;

import java.util.List;

/**
 * An internal journal: the blocks of inode 8, given as its extents, on the filesystem's own device. The ext4 side
 * reads the extents from the inode (or the superblock's {@code s_jnl_blocks} backup) and hands them here.
 */
public final class InodeJournalArea implements JournalArea {
    private final BlockDevice device;
    private final JournalExtent[] extents;
    private final long maxlen;

    /** @param maxlen journal inode size / block size; every block below it must be mapped */
    public InodeJournalArea(BlockDevice device, List<JournalExtent> extents, long maxlen) {
        this.device = device;
        this.extents = extents.stream()
                .sorted((a, b) -> Long.compare(a.logical(), b.logical()))
                .toArray(JournalExtent[]::new);
        this.maxlen = maxlen;
        long next = 0;
        for (JournalExtent e : this.extents) {
            if (e.logical() != next) {
                throw new OnDiskException("journal inode", -1, "hole or overlap at journal block " + next
                        + " (extent starts at " + e.logical() + ")");
            }
            if (e.physical() + e.length() > device.blocks()) {
                long missing = e.logical() + Math.max(0, device.blocks() - e.physical());
                throw new OnDiskException("journal", missing, "journal block " + missing + " would be device block "
                        + (e.physical() + (missing - e.logical())) + ", past the end of the device, which holds "
                        + device.blocks() + " blocks: the image is truncated");
            }
            next += e.length();
        }
        if (next < maxlen) {
            throw new OnDiskException("journal inode", -1, "extents map " + next + " blocks, the inode size says " + maxlen);
        }
    }

    @Override
    public int blockSize() {
        return device.blockSize();
    }

    @Override
    public long maxlen() {
        return maxlen;
    }

    @Override
    public long bmap(long journalBlock) {
        if (journalBlock >= 0 && journalBlock < maxlen) {
            for (JournalExtent e : extents) {
                if (journalBlock < e.logical() + e.length()) {
                    return e.physical() + (journalBlock - e.logical());
                }
            }
        }
        throw new OnDiskException("journal", journalBlock, "outside the journal of " + maxlen + " blocks");
    }

    @Override
    public byte[] readJournal(long journalBlock) {
        long dev = bmap(journalBlock);
        try {
            return device.read(dev);
        } catch (OnDiskException e) {
            throw new OnDiskException("journal", journalBlock, "device block " + dev + " cannot be read: " + e.getMessage());
        }
    }

    @Override
    public void writeJournal(long journalBlock, byte[] block) {
        device.write(bmap(journalBlock), block);
    }

    @Override
    public long homeBlocks() {
        return device.blocks();
    }

    @Override
    public void writeHome(long homeBlock, byte[] block) {
        if (homeBlock < 0 || homeBlock >= device.blocks()) {
            throw new OnDiskException("home block", homeBlock, "outside the filesystem of " + device.blocks() + " blocks");
        }
        device.write(homeBlock, block);
    }

    @Override
    public void flush() {
        device.flush();
    }
}
