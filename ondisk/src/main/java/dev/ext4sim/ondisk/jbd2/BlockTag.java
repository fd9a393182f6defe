package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.Be;

/**
 * One descriptor tag: the home (filesystem) block of the next log block, its flags and (v2/v3) the checksum of
 * the log copy. Encoded in the journal's {@link TagFormat}.
 */
public record BlockTag(long blockNr, int flags, int checksum) {
    /** The log copy's first four bytes were the magic and were zeroed; put it back on replay. */
    public static final int FLAG_ESCAPE = 0x1;
    /** No 16-byte UUID follows this tag. */
    public static final int FLAG_SAME_UUID = 0x2;
    public static final int FLAG_DELETED = 0x4;
    public static final int FLAG_LAST_TAG = 0x8;

    public boolean escaped() {
        return (flags & FLAG_ESCAPE) != 0;
    }

    public boolean sameUuid() {
        return (flags & FLAG_SAME_UUID) != 0;
    }

    public boolean lastTag() {
        return (flags & FLAG_LAST_TAG) != 0;
    }

    /** {@code read_tag_block} plus the flags and checksum, at {@code off} in a descriptor. */
    public static BlockTag read(byte[] b, int off, TagFormat f) {
        long nr = Be.u32(b, off);
        if (f.is64bit()) {
            nr |= Be.u32(b, off + 8) << 32;
        }
        int flags = Be.u16(b, off + 6);
        int csum;
        if (f.csumV3()) {
            csum = Be.s32(b, off + 12);
        } else if (f.csumV2()) {
            csum = Be.u16(b, off + 4);
        } else {
            csum = 0;
        }
        return new BlockTag(nr, flags, csum);
    }

    /** {@code write_tag_block} and the flag and checksum stores; the tag bytes are assumed zero. */
    public void write(byte[] b, int off, TagFormat f) {
        Be.u32(b, off, blockNr & 0xFFFFFFFFL);
        if (f.is64bit()) {
            Be.u32(b, off + 8, blockNr >>> 32);
        }
        Be.u16(b, off + 6, flags);
        if (f.csumV3()) {
            Be.u32(b, off + 12, checksum);
        } else if (f.csumV2()) {
            Be.u16(b, off + 4, checksum);
        }
    }

    /** Whether {@code checksum} matches the log copy ({@code jbd2_block_tag_csum_verify}); true without v2/v3. */
    public boolean verify(TagFormat f, int seed, int tid, byte[] logCopy) {
        if (f.csumV3()) {
            return checksum == JournalChecksum.dataBlock(seed, tid, logCopy);
        }
        if (f.csumV2()) {
            return checksum == (JournalChecksum.dataBlock(seed, tid, logCopy) & 0xFFFF);
        }
        return true;
    }
}
