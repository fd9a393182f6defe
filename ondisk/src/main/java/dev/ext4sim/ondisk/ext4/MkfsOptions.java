package dev.ext4sim.ondisk.ext4;

import java.util.Optional;
import java.util.UUID;

/**
 * What mke2fs takes on its command line, for {@link Mkfs}. Defaults mirror {@code mkfs.ext4 IMAGE SIZE}
 * with {@code -O ^resize_inode,^orphan_file,^flex_bg}.
 *
 * @param sizeBytes        filesystem size (whole 4 KiB blocks)
 * @param uuid             s_uuid; empty for a random one
 * @param label            s_volume_name (at most 16 bytes)
 * @param bit64            the 64bit feature (64-byte group descriptors)
 * @param timestamp        seconds since the epoch for every time field; empty for now
 * @param journalBlocks    journal size in blocks; empty for ext2fs_default_journal_size
 * @param hashSeed         s_hash_seed; empty for a random one
 * @param flexBg           flex_bg with 16 groups per flex group (mke2fs's default; off here by default)
 */
public record MkfsOptions(long sizeBytes, Optional<UUID> uuid, String label, boolean bit64, Optional<Long> timestamp,
                          Optional<Integer> journalBlocks, Optional<UUID> hashSeed, boolean flexBg) {
    public static final long DEFAULT_SIZE = 1L << 30;
    public static final int BLOCK_SIZE = 4096;

    public MkfsOptions {
        if (sizeBytes <= 0 || sizeBytes % BLOCK_SIZE != 0) {
            throw new IllegalArgumentException("filesystem size " + sizeBytes + " is not a positive multiple of " + BLOCK_SIZE);
        }
        if (label.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 16) {
            throw new IllegalArgumentException("label '" + label + "' is longer than 16 bytes");
        }
    }

    public static MkfsOptions defaults() {
        return new MkfsOptions(DEFAULT_SIZE, Optional.empty(), "", true, Optional.empty(), Optional.empty(), Optional.empty(), false);
    }

    public MkfsOptions withSize(long bytes) {
        return new MkfsOptions(bytes, uuid, label, bit64, timestamp, journalBlocks, hashSeed, flexBg);
    }

    public MkfsOptions withUuid(UUID u) {
        return new MkfsOptions(sizeBytes, Optional.of(u), label, bit64, timestamp, journalBlocks, hashSeed, flexBg);
    }

    public MkfsOptions withLabel(String l) {
        return new MkfsOptions(sizeBytes, uuid, l, bit64, timestamp, journalBlocks, hashSeed, flexBg);
    }

    public MkfsOptions with64bit(boolean on) {
        return new MkfsOptions(sizeBytes, uuid, label, on, timestamp, journalBlocks, hashSeed, flexBg);
    }

    /** Fixed times (like E2FSPROGS_FAKE_TIME); with a fixed UUID and hash seed the image is reproducible. */
    public MkfsOptions withTimestamp(long epochSeconds) {
        return new MkfsOptions(sizeBytes, uuid, label, bit64, Optional.of(epochSeconds), journalBlocks, hashSeed, flexBg);
    }

    public MkfsOptions withJournalBlocks(int blocks) {
        return new MkfsOptions(sizeBytes, uuid, label, bit64, timestamp, Optional.of(blocks), hashSeed, flexBg);
    }

    public MkfsOptions withFlexBg(boolean on) {
        return new MkfsOptions(sizeBytes, uuid, label, bit64, timestamp, journalBlocks, hashSeed, on);
    }

    public MkfsOptions withHashSeed(UUID u) {
        return new MkfsOptions(sizeBytes, uuid, label, bit64, timestamp, journalBlocks, Optional.of(u), flexBg);
    }
}
