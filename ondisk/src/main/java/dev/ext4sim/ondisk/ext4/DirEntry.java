package dev.ext4sim.ondisk.ext4;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * {@code struct ext4_dir_entry_2}. {@code inode} 0 is an unused record; {@code recLen} covers the entry and
 * the free space after it up to the next one.
 */
public record DirEntry(int inode, int recLen, byte[] name, int fileType) {
    public static final int HEADER = 8;
    public static final int NAME_MAX = 255;

    public DirEntry {
        if (name.length > NAME_MAX) {
            throw new IllegalArgumentException("name of " + name.length + " bytes; at most " + NAME_MAX);
        }
        if (recLen < recLen(name.length) || (recLen & 3) != 0) {
            throw new IllegalArgumentException("rec_len " + recLen + " too small or not a multiple of 4 for a name of " + name.length);
        }
    }

    public static DirEntry of(int inode, String name, int fileType, int recLen) {
        return new DirEntry(inode, recLen, name.getBytes(StandardCharsets.UTF_8), fileType);
    }

    /** EXT4_DIR_REC_LEN: the smallest record for a name of {@code nameLen} bytes. */
    public static int recLen(int nameLen) {
        return (HEADER + nameLen + 3) & ~3;
    }

    public String nameString() {
        return new String(name, StandardCharsets.UTF_8);
    }

    /** The bytes beyond what this entry needs, which a new entry can take. */
    public int slack() {
        return inode == 0 ? recLen : recLen - recLen(name.length);
    }

    public DirEntry withRecLen(int r) {
        return new DirEntry(inode, r, name, fileType);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DirEntry d && d.inode == inode && d.recLen == recLen && d.fileType == fileType && Arrays.equals(d.name, name);
    }

    @Override
    public int hashCode() {
        return inode * 31 + Arrays.hashCode(name);
    }

    @Override
    public String toString() {
        return "DirEntry[" + inode + " '" + nameString() + "' rec_len " + recLen + " type " + fileType + "]";
    }
}
