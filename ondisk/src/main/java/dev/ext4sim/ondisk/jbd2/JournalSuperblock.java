package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.Be;
import dev.ext4sim.ondisk.OnDiskException;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * {@code journal_superblock_t} (v2, 1024 bytes in journal block 0). The interpreted fields are record
 * components; {@code raw} keeps the other bytes (padding, {@code s_users}) so that rewriting the superblock
 * changes only what the caller changed, as the kernel and e2fsck do by editing the buffer in place.
 *
 * <p>{@link #decode} validates like {@code e2fsck_journal_load} and the kernel's {@code journal_load_superblock}:
 * magic, version, unknown features, conflicting checksum features, checksum type, checksum.
 */
public record JournalSuperblock(
        int blockType,
        int blockSize,
        long maxlen,
        long first,
        int sequence,
        long start,
        int errno,
        int featureCompat,
        int featureIncompat,
        int featureRoCompat,
        byte[] uuid,
        int nrUsers,
        int checksumType,
        long numFcBlocks,
        long head,
        byte[] raw) {

    public static final int SIZE = 1024;
    static final int CHECKSUM_OFFSET = 0xFC;

    public JournalSuperblock {
        uuid = uuid.clone();
        raw = Arrays.copyOf(raw, SIZE);
    }

    @Override
    public byte[] uuid() {
        return uuid.clone();
    }

    @Override
    public byte[] raw() {
        return raw.clone();
    }

    /** {@code s_dynsuper}: unused by JBD2 since v2 (always 0 on mke2fs journals). */
    public long dynsuper() {
        return Be.u32(raw, 0x44);
    }

    /** {@code s_max_transaction}: unused (0). */
    public long maxTransaction() {
        return Be.u32(raw, 0x48);
    }

    /** {@code s_max_trans_data}: unused (0). */
    public long maxTransData() {
        return Be.u32(raw, 0x4C);
    }

    /** {@code s_checksum} as stored. */
    public int checksum() {
        return Be.s32(raw, CHECKSUM_OFFSET);
    }

    /** {@code s_users}: 48 UUIDs of 16 bytes for a shared external journal; zero for an internal one. */
    public byte[] users() {
        return Arrays.copyOfRange(raw, 0x100, 0x400);
    }

    public boolean csumV2or3() {
        return (featureIncompat & (JournalFeatures.INCOMPAT_CSUM_V2 | JournalFeatures.INCOMPAT_CSUM_V3)) != 0;
    }

    public boolean csumV3() {
        return (featureIncompat & JournalFeatures.INCOMPAT_CSUM_V3) != 0;
    }

    public boolean is64bit() {
        return (featureIncompat & JournalFeatures.INCOMPAT_64BIT) != 0;
    }

    public boolean asyncCommit() {
        return (featureIncompat & JournalFeatures.INCOMPAT_ASYNC_COMMIT) != 0;
    }

    public TagFormat tagFormat() {
        return new TagFormat(csumV3(), (featureIncompat & JournalFeatures.INCOMPAT_CSUM_V2) != 0, is64bit());
    }

    /** {@code j_csum_seed}; meaningful only with CSUM_V2/V3. */
    public int csumSeed() {
        return JournalChecksum.seed(uuid);
    }

    /** The tail as {@code jbd2_journal_update_sb_log_tail} and {@code jbd2_mark_journal_empty} write it. */
    public JournalSuperblock withLogTail(int newSequence, long newStart) {
        return new JournalSuperblock(blockType, blockSize, maxlen, first, newSequence, newStart, errno, featureCompat,
                featureIncompat, featureRoCompat, uuid, nrUsers, checksumType, numFcBlocks, head, raw);
    }

    /** {@code jbd2_journal_set_features}: adding CSUM_V3 also sets the crc32c checksum type. */
    public JournalSuperblock withIncompat(int incompat) {
        int type = (incompat & (JournalFeatures.INCOMPAT_CSUM_V2 | JournalFeatures.INCOMPAT_CSUM_V3)) != 0
                ? JournalFeatures.CHECKSUM_TYPE_CRC32C : checksumType;
        return new JournalSuperblock(blockType, blockSize, maxlen, first, sequence, start, errno, featureCompat,
                incompat, featureRoCompat, uuid, nrUsers, type, numFcBlocks, head, raw);
    }

    /** The 1024 bytes with the checksum set when CSUM_V2/V3 is on. */
    public byte[] encode() {
        byte[] b = raw.clone();
        new JournalHeader(blockType, 0).write(b);
        Be.u32(b, 0x0C, blockSize);
        Be.u32(b, 0x10, maxlen);
        Be.u32(b, 0x14, first);
        Be.u32(b, 0x18, sequence);
        Be.u32(b, 0x1C, start);
        Be.u32(b, 0x20, errno);
        Be.u32(b, 0x24, featureCompat);
        Be.u32(b, 0x28, featureIncompat);
        Be.u32(b, 0x2C, featureRoCompat);
        System.arraycopy(uuid, 0, b, 0x30, 16);
        Be.u32(b, 0x40, nrUsers);
        Be.u8(b, 0x50, checksumType);
        Be.u32(b, 0x54, numFcBlocks);
        Be.u32(b, 0x58, head);
        Be.u32(b, CHECKSUM_OFFSET, csumV2or3() ? JournalChecksum.superblock(b) : 0);
        return b;
    }

    /**
     * Parses and validates the superblock at the start of {@code block}, journal block 0, which is
     * {@code deviceBlock} on the device (named in errors).
     */
    public static JournalSuperblock decode(byte[] block, long deviceBlock) {
        if (block.length < SIZE) {
            throw error(deviceBlock, "block of " + block.length + " bytes cannot hold the 1024-byte superblock");
        }
        if (!JournalHeader.hasMagic(block)) {
            throw error(deviceBlock, String.format("bad magic 0x%08x (expected 0xc03b3998): not a journal", Be.s32(block, 0)));
        }
        int type = Be.s32(block, 4);
        if (type != JournalHeader.SUPERBLOCK_V1 && type != JournalHeader.SUPERBLOCK_V2) {
            throw error(deviceBlock, "holds a " + JournalHeader.typeName(type) + ", not a journal superblock");
        }
        boolean v2 = type == JournalHeader.SUPERBLOCK_V2;
        JournalSuperblock sb = new JournalSuperblock(type, Be.s32(block, 0x0C), Be.u32(block, 0x10), Be.u32(block, 0x14),
                Be.s32(block, 0x18), Be.u32(block, 0x1C), Be.s32(block, 0x20),
                v2 ? Be.s32(block, 0x24) : 0, v2 ? Be.s32(block, 0x28) : 0, v2 ? Be.s32(block, 0x2C) : 0,
                Arrays.copyOfRange(block, 0x30, 0x40), v2 ? Be.s32(block, 0x40) : 0, v2 ? Be.u8(block, 0x50) : 0,
                v2 ? Be.u32(block, 0x54) : 0, v2 ? Be.u32(block, 0x58) : 0, Arrays.copyOf(block, SIZE));
        sb.validate(block, deviceBlock);
        return sb;
    }

    private void validate(byte[] block, long deviceBlock) {
        int unknown = featureIncompat & ~JournalFeatures.SUPPORTED_INCOMPAT;
        if (unknown != 0) {
            throw error(deviceBlock, "unsupported incompat features " + JournalFeatures.describeIncompat(unknown)
                    + "; refusing to use a journal whose layout is unknown");
        }
        if (featureRoCompat != 0) {
            throw error(deviceBlock, String.format("unsupported ro_compat features 0x%x", featureRoCompat));
        }
        if ((featureCompat & JournalFeatures.COMPAT_CHECKSUM) != 0) {
            throw error(deviceBlock, "compat CHECKSUM (v1, CRC32 commit checksums) is not supported");
        }
        if ((featureIncompat & JournalFeatures.INCOMPAT_CSUM_V2) != 0 && csumV3()) {
            throw error(deviceBlock, "both CSUM_V2 and CSUM_V3 set");
        }
        if (nrUsers > 1) {
            throw error(deviceBlock, "shared by " + nrUsers + " filesystems; only an internal journal is supported");
        }
        if (csumV2or3()) {
            if (checksumType != JournalFeatures.CHECKSUM_TYPE_CRC32C) {
                throw error(deviceBlock, "checksum type " + checksumType + ", expected 4 (crc32c)");
            }
            int stored = Be.s32(block, CHECKSUM_OFFSET);
            int computed = JournalChecksum.superblock(block);
            if (stored != computed) {
                throw error(deviceBlock, String.format("checksum 0x%08x does not match the computed 0x%08x", stored, computed));
            }
        }
        if (blockSize < 1024 || Integer.bitCount(blockSize) != 1) {
            throw error(deviceBlock, "impossible block size " + Integer.toUnsignedString(blockSize));
        }
        if (first < 1 || first >= maxlen) {
            throw error(deviceBlock, "s_first " + first + " outside the journal of " + maxlen + " blocks");
        }
        if (start != 0 && (start < first || start >= maxlen)) {
            throw error(deviceBlock, "s_start " + start + " outside the log [" + first + ", " + maxlen + ")");
        }
    }

    static OnDiskException error(long deviceBlock, String detail) {
        return new OnDiskException("journal superblock", 0, "journal block 0 is device block " + deviceBlock + "; " + detail);
    }

    @Override
    public String toString() {
        return "JournalSuperblock[blocksize=" + blockSize + ", maxlen=" + maxlen + ", first=" + first + ", sequence="
                + Integer.toUnsignedString(sequence) + ", start=" + start + ", incompat="
                + JournalFeatures.describeIncompat(featureIncompat) + ", uuid=" + HexFormat.of().formatHex(uuid) + "]";
    }
}
