package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.MemoryBlockDevice;

import java.util.ArrayList;
import java.util.List;

/**
 * A fresh mke2fs-like journal (no features, s_sequence 1, s_start 0) on a memory device: device blocks
 * [0, 1000) are home blocks, the journal is {@code maxlen} blocks from device block 1000, split in two extents
 * so that bmap is exercised. Records every journal write, home write and flush in order.
 */
final class MemoryJournal implements JournalArea {
    static final long JOURNAL_AT = 1000;

    final MemoryBlockDevice device;
    final InodeJournalArea area;
    final List<String> log = new ArrayList<>();

    MemoryJournal(int maxlen) {
        device = new MemoryBlockDevice(4096, (int) JOURNAL_AT + maxlen + 10);
        int half = maxlen / 2;
        // Second half first on the device: logical order differs from physical order.
        area = new InodeJournalArea(device, List.of(
                new JournalExtent(0, JOURNAL_AT + (maxlen - half), half),
                new JournalExtent(half, JOURNAL_AT, maxlen - half)), maxlen);
        byte[] sb = JournalCodecTest.freshSuperblock(0, maxlen).encode();
        area.writeJournal(0, java.util.Arrays.copyOf(sb, 4096));
    }

    @Override
    public int blockSize() {
        return area.blockSize();
    }

    @Override
    public long maxlen() {
        return area.maxlen();
    }

    @Override
    public long bmap(long journalBlock) {
        return area.bmap(journalBlock);
    }

    @Override
    public byte[] readJournal(long journalBlock) {
        return area.readJournal(journalBlock);
    }

    @Override
    public void writeJournal(long journalBlock, byte[] block) {
        String kind = journalBlock == 0 ? "sb" : !JournalHeader.hasMagic(block) ? "data"
                : switch (JournalHeader.read(block).blockType()) {
                    case JournalHeader.DESCRIPTOR_BLOCK -> "desc";
                    case JournalHeader.COMMIT_BLOCK -> "commit";
                    case JournalHeader.REVOKE_BLOCK -> "revoke";
                    default -> "other";
                };
        log.add(kind + "@" + journalBlock);
        area.writeJournal(journalBlock, block);
    }

    @Override
    public long homeBlocks() {
        return JOURNAL_AT;
    }

    @Override
    public void writeHome(long homeBlock, byte[] block) {
        if (homeBlock >= JOURNAL_AT) {
            throw new IllegalArgumentException("home block " + homeBlock + " inside the journal");
        }
        log.add("home@" + homeBlock);
        area.writeHome(homeBlock, block);
    }

    @Override
    public void flush() {
        log.add("flush");
        area.flush();
    }

    JournalSuperblock superblock() {
        return JournalSuperblock.decode(readJournal(0), bmap(0));
    }

    byte[] home(long block) {
        return device.read(block);
    }
}
